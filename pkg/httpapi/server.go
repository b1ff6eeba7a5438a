package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"
)

// CodeOverloaded is the envelope code of a request refused by Limit.
const CodeOverloaded = "overloaded"

// Limit caps the requests h serves at once: beyond max, a request is
// answered at once with 503, Retry-After: 1 and the envelope, so that a
// flood queues in clients, not in this process's memory. max <= 0 means no
// cap. rejected, when not nil, is called for every refused request.
func Limit(h http.Handler, max int, rejected func()) http.Handler {
	if max <= 0 {
		return h
	}
	sem := make(chan struct{}, max)
	msg := "too many concurrent requests (limit " + strconv.Itoa(max) + "); retry after 1 s"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
			h.ServeHTTP(w, r)
		default:
			if rejected != nil {
				rejected()
			}
			w.Header().Set("Retry-After", "1")
			WriteError(w, &Error{Status: http.StatusServiceUnavailable, Code: CodeOverloaded, Message: msg})
		}
	})
}

// ServerLimits bound what one client can make a server hold: header size
// and how long reading a request, writing an answer and an idle keep-alive
// connection may take. Zero fields take the defaults of DefaultLimits.
type ServerLimits struct {
	MaxHeaderBytes    int
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
}

// DefaultLimits: 64 KiB of headers (net/http's default is 1 MiB), 5 s to
// send them (slowloris), 60 s for a whole request and for an answer.
var DefaultLimits = ServerLimits{
	MaxHeaderBytes:    64 << 10,
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       60 * time.Second,
	WriteTimeout:      60 * time.Second,
	IdleTimeout:       2 * time.Minute,
}

func (l ServerLimits) withDefaults() ServerLimits {
	d := DefaultLimits
	if l.MaxHeaderBytes > 0 {
		d.MaxHeaderBytes = l.MaxHeaderBytes
	}
	if l.ReadHeaderTimeout > 0 {
		d.ReadHeaderTimeout = l.ReadHeaderTimeout
	}
	if l.ReadTimeout > 0 {
		d.ReadTimeout = l.ReadTimeout
	}
	if l.WriteTimeout > 0 {
		d.WriteTimeout = l.WriteTimeout
	}
	if l.IdleTimeout > 0 {
		d.IdleTimeout = l.IdleTimeout
	}
	return d
}

// NewServer returns an http.Server for h with limits applied and its error
// log going to logger.
func NewServer(h http.Handler, limits ServerLimits, logger *slog.Logger) *http.Server {
	l := limits.withDefaults()
	return &http.Server{
		Handler:           h,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Serve runs srv on ln until ctx ends, then shuts it down, letting
// in-flight requests finish for up to grace.
func Serve(ctx context.Context, ln net.Listener, srv *http.Server, grace time.Duration, logger *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown %s: %w", ln.Addr(), err)
	}
	return nil
}

// IsLoopback reports whether addr (host:port) listens on loopback only: an
// empty host, 0.0.0.0 or :: listen everywhere.
func IsLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

// Listener is a server and the listener it serves.
type Listener struct {
	Ln     net.Listener
	Server *http.Server
}

// ServeAll serves every listener (a public API and its admin listener) until
// ctx ends or one of them fails. Then draining runs first (readiness off),
// and every server stops accepting and lets in-flight requests finish for
// up to grace.
func ServeAll(ctx context.Context, grace time.Duration, logger *slog.Logger, draining func(), ls ...Listener) error {
	srvCtx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		select {
		case <-ctx.Done():
			if draining != nil {
				draining()
			}
			logger.Info("shutting down: readiness off, draining requests")
			stop()
		case <-srvCtx.Done():
		}
	}()
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() {
			err := Serve(srvCtx, l.Ln, l.Server, grace, logger)
			stop() // one server down stops the others
			errc <- err
		}()
	}
	var errs []error
	for range ls {
		if err := <-errc; err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
