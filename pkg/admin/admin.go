// Package admin is the operational surface every service shares: /healthz
// (the process is alive), /readyz (its dependencies answer), /metrics
// (Prometheus, from the service's own registry), served on an admin
// listener that is bound to loopback by default and needs a token when it
// is not.
package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tension-dev/tension/pkg/httpapi"
	"github.com/tension-dev/tension/pkg/logging"
)

// NewLogger returns a JSON logger at level tagged with the service name
// (see logging.New).
func NewLogger(w io.Writer, level, service string) *slog.Logger {
	return logging.New(w, level, service)
}

// NewRegistry returns a registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Check reports whether one dependency is usable.
type Check func(ctx context.Context) error

// DefaultCheckTimeout bounds one run of a check.
const DefaultCheckTimeout = 3 * time.Second

// Readiness caches dependency checks: /readyz answers from the cache, which
// a background loop refreshes, so probes answer at once and never pile load
// on a dependency. A check that hangs counts as failed after its timeout.
type Readiness struct {
	checks  map[string]Check
	timeout time.Duration

	mu       sync.Mutex
	state    map[string]string        // name -> "" or error text
	down     map[string]chan struct{} // closed while the check fails
	draining atomic.Bool
}

// NewReadiness returns readiness over the named checks; not ready until the
// first refresh.
func NewReadiness(checks map[string]Check) *Readiness {
	r := &Readiness{checks: checks, timeout: DefaultCheckTimeout, state: map[string]string{}, down: map[string]chan struct{}{}}
	for name := range checks {
		r.state[name] = "not checked yet"
		r.down[name] = make(chan struct{})
	}
	return r
}

// WithTimeout sets how long one check may take before it counts as failed.
func (r *Readiness) WithTimeout(d time.Duration) *Readiness {
	if d > 0 {
		r.timeout = d
	}
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

// Refresh runs every check once, concurrently, each within the timeout.
func (r *Readiness) Refresh(ctx context.Context) {
	var wg sync.WaitGroup
	for name, check := range r.checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, r.timeout)
			defer cancel()
			err := check(cctx)
			if err == nil && cctx.Err() != nil {
				err = cctx.Err()
			}
			r.set(name, err)
		})
	}
	wg.Wait()
}

func (r *Readiness) set(name string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.state[name] = err.Error()
		select {
		case <-r.down[name]:
		default:
			close(r.down[name])
		}
		return
	}
	r.state[name] = ""
	select {
	case <-r.down[name]:
		r.down[name] = make(chan struct{})
	default:
	}
}

// Down returns a channel that is closed while check name fails (it is
// replaced when the check passes again): requests in flight on a dependency
// watch it to give up as soon as the dependency is seen stalled.
func (r *Readiness) Down(name string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.down[name]; ok {
		return ch
	}
	never := make(chan struct{})
	return never
}

// Err returns the last error of check name, nil when it passed.
func (r *Readiness) Err(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if msg := r.state[name]; msg != "" {
		return errors.New(msg)
	}
	return nil
}

// Drain marks the service not ready, the first step of shutdown.
func (r *Readiness) Drain() { r.draining.Store(true) }

// Ready returns nil when every check passed at the last refresh.
func (r *Readiness) Ready() error {
	if r.draining.Load() {
		return errors.New("shutting down")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.state))
	for name := range r.state {
		names = append(names, name)
	}
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		if msg := r.state[name]; msg != "" {
			errs = append(errs, fmt.Errorf("%s: %s", name, msg))
		}
	}
	return errors.Join(errs...)
}

// CodeNotReady is the envelope code of a 503 from /readyz.
const CodeNotReady = "not_ready"

// Mount adds /healthz, /readyz and /metrics to mux. /healthz answers
// {"status":"ok"}; /readyz {"status":"ready"} or 503 with the error
// envelope naming each failing dependency.
func Mount(mux *http.ServeMux, reg *prometheus.Registry, ready *Readiness) {
	mux.HandleFunc("GET /healthz", Healthz)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready.Ready(); err != nil {
			httpapi.WriteError(w, &httpapi.Error{Status: http.StatusServiceUnavailable, Code: CodeNotReady,
				Message: "not ready: " + strings.ReplaceAll(err.Error(), "\n", "; ")})
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
}

// Healthz answers {"status":"ok"}: the process is alive.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Route is an operational endpoint a service adds to its admin listener
// (the source follower's GET /v1/sources), under the same exposure rule.
type Route struct {
	Pattern string // a ServeMux pattern, e.g. "GET /v1/sources"
	Handler http.Handler
}

// Handler returns the admin endpoints for a listener on addr, and the
// service's own routes. On loopback they are open; beyond it every endpoint
// but /healthz needs one of tokens, and without tokens it is an error (the
// admin surface shows dependency errors and metrics, which are not for
// everyone).
func Handler(addr string, reg *prometheus.Registry, ready *Readiness, tokens []string, routes ...Route) (http.Handler, error) {
	mux := http.NewServeMux()
	Mount(mux, reg, ready)
	for _, r := range routes {
		mux.Handle(r.Pattern, r.Handler)
	}
	if err := CheckExposure(addr, tokens); err != nil {
		return nil, err
	}
	if loopback, _ := httpapi.IsLoopback(addr); loopback {
		return mux, nil
	}
	guard := httpapi.NewTokens(tokens)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			if e := guard.Check(r); e != nil {
				httpapi.WriteError(w, e)
				return
			}
		}
		mux.ServeHTTP(w, r)
	}), nil
}

// CheckExposure refuses an admin address beyond loopback without tokens.
func CheckExposure(addr string, tokens []string) error {
	loopback, err := httpapi.IsLoopback(addr)
	if err != nil {
		return err
	}
	if !loopback && len(tokens) == 0 {
		return fmt.Errorf("admin address %s listens beyond loopback: set admin tokens (-admin-tokens / ADMIN_TOKENS) or bind it to 127.0.0.1", addr)
	}
	return nil
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

// ServeListener is Serve on an existing listener (tests use port 0), with
// httpapi's default limits.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, logger *slog.Logger) error {
	return httpapi.Serve(ctx, ln, httpapi.NewServer(h, httpapi.ServerLimits{}, logger), grace, logger)
}
