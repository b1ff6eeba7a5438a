// Package admin is the operational surface every service shares: /healthz
// (the process is alive), /readyz (its dependencies answer), /metrics
// (Prometheus, from the service's own registry), a JSON slog logger, and an
// HTTP server that shuts down within a deadline.
package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewLogger returns a JSON logger at level ("debug", "info", "warn",
// "error"; default info) tagged with the service name.
func NewLogger(w io.Writer, level, service string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})).With("service", service)
}

// NewRegistry returns a registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Check reports whether one dependency is usable.
type Check func(ctx context.Context) error

// Readiness caches dependency checks: /readyz answers from the cache, which
// a background loop refreshes, so probes never pile load on a dependency.
type Readiness struct {
	checks   map[string]Check
	state    atomic.Pointer[map[string]string] // name -> "" or error text
	draining atomic.Bool
}

// NewReadiness returns readiness over the named checks; not ready until the
// first refresh.
func NewReadiness(checks map[string]Check) *Readiness {
	r := &Readiness{checks: checks}
	init := map[string]string{}
	for name := range checks {
		init[name] = "not checked yet"
	}
	r.state.Store(&init)
	return r
}

// Run refreshes the checks every interval until ctx ends.
func (r *Readiness) Run(ctx context.Context, interval time.Duration) {
	r.Refresh(ctx)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.Refresh(ctx)
		}
	}
}

// Refresh runs every check once.
func (r *Readiness) Refresh(ctx context.Context) {
	next := map[string]string{}
	for name, check := range r.checks {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if err := check(cctx); err != nil {
			next[name] = err.Error()
		} else {
			next[name] = ""
		}
		cancel()
	}
	r.state.Store(&next)
}

// Drain marks the service not ready, the first step of shutdown.
func (r *Readiness) Drain() { r.draining.Store(true) }

// Ready returns nil when every check passed at the last refresh.
func (r *Readiness) Ready() error {
	if r.draining.Load() {
		return errors.New("shutting down")
	}
	var errs []error
	for name, msg := range *r.state.Load() {
		if msg != "" {
			errs = append(errs, fmt.Errorf("%s: %s", name, msg))
		}
	}
	return errors.Join(errs...)
}

// Mount adds /healthz, /readyz and /metrics to mux.
func Mount(mux *http.ServeMux, reg *prometheus.Registry, ready *Readiness) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := ready.Ready(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "not ready: "+err.Error()+"\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
}

// Serve runs an HTTP server on addr until ctx ends, then shuts it down,
// letting in-flight requests finish for up to grace. The listener is bound
// before Serve returns control, so a port conflict is reported at once.
func Serve(ctx context.Context, addr string, h http.Handler, grace time.Duration, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	return ServeListener(ctx, ln, h, grace, logger)
}

// ServeListener is Serve on an existing listener (tests use port 0).
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
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
		return fmt.Errorf("shutdown %s: %w", ln.Addr(), err)
	}
	return nil
}
