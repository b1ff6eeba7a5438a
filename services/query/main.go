// Command query serves the tension index, its drivers and the stored
// articles from ClickHouse over HTTP (JSON and CSV).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/httpapi"

	"github.com/tension-dev/tension/services/query/internal/annotations"
	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "query:", err)
		os.Exit(1)
	}
}

// config is the service's configuration: flags, with environment fallbacks.
type config struct {
	addr         string
	adminAddr    string
	adminTokens  []string
	clickhouse   string
	database     string
	ch           chstore.Config
	ranges       api.Ranges
	queryTimeout time.Duration
	readyEvery   time.Duration
	maxInFlight  int
	maxTop       int64
	tokens       []string
	logLevel     string
	events       *annotations.Set
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flagenv.New("query", getenv, stderr)
	addr := fs.String("addr", "QUERY_ADDR", "127.0.0.1:8081", "HTTP listen address")
	adminFlags := admin.DefineFlags(fs, "QUERY", "127.0.0.1:8085", false)
	chFlags := chstore.DefineFlags(fs, chstore.Reader)
	maxRange := fs.String("max-range", "QUERY_MAX_RANGE", api.DefaultRanges.String(),
		"widest from..to per stored granularity, e.g. minute=31d,hour=5y,day=50y; month uses day")
	timeout := fs.Duration("query-timeout", "QUERY_TIMEOUT", 30*time.Second, "time limit of one request's queries")
	readyEvery := fs.Duration("ready-interval", "QUERY_READY_INTERVAL", time.Second,
		"how often ClickHouse is pinged for /readyz (each ping may take as long); a stalled server fails requests within about twice this")
	maxTop := fs.Int("max-top-articles", "QUERY_MAX_TOP_ARTICLES", api.DefaultMaxTopArticles,
		"most articles /v1/entities/top and /v1/cues/top may read from the raw tables (400 above): the partial days at a range's edges, or the whole range with lang= (whole days come from the rollups)")
	maxInFlight := fs.Int("max-inflight", "QUERY_MAX_INFLIGHT", 64, "most /v1 requests served at once (503 with Retry-After above)")
	tokens := fs.String("tokens", "QUERY_TOKENS", "",
		"comma-separated read tokens clients send as Authorization: Bearer <token> (16+ characters; `query token` prints one); required when -addr is beyond loopback")
	tokensFile := fs.String("tokens-file", "QUERY_TOKENS_FILE", "", "file with one read token per line, added to -tokens")
	annotationsFile := fs.String("annotations-file", "QUERY_ANNOTATIONS_FILE", "",
		"TSV of your own dated events (date, pair, kind, label), served by /v1/annotations and drawn on the chart beside the project's milestones")
	level := fs.LogLevel()
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.events, err = annotations.Load(*annotationsFile); err != nil {
		return c, err
	}
	if c.tokens, err = httpapi.LoadTokens("tokens", *tokens, *tokensFile); err != nil {
		return c, err
	}
	if c.adminTokens, err = adminFlags.Tokens(); err != nil {
		return c, err
	}
	c.addr, c.adminAddr, c.logLevel, c.maxInFlight, c.readyEvery = *addr, adminFlags.Addr(), *level, *maxInFlight, *readyEvery
	loopback, err := httpapi.IsLoopback(c.addr)
	if err != nil {
		return c, err
	}
	if !loopback && len(c.tokens) == 0 {
		return c, fmt.Errorf("addr %s listens beyond loopback: set read tokens with -tokens or QUERY_TOKENS", c.addr)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.ranges, err = api.ParseRanges(*maxRange); err != nil {
		return c, err
	}
	if c.queryTimeout = *timeout; c.queryTimeout <= 0 {
		return c, fmt.Errorf("query-timeout: want a positive duration such as 30s (got %s)", c.queryTimeout)
	}
	if c.readyEvery <= 0 || c.maxInFlight < 1 || *maxTop < 1 {
		return c, fmt.Errorf("-ready-interval, -max-inflight and -max-top-articles must be positive")
	}
	c.maxTop = int64(*maxTop)
	if c.ch, err = chFlags.Config(); err != nil {
		return c, err
	}
	if c.ch.DialTimeout >= c.queryTimeout {
		return c, fmt.Errorf("-clickhouse-dial-timeout %s must be shorter than -query-timeout %s", c.ch.DialTimeout, c.queryTimeout)
	}
	c.clickhouse, c.database = c.ch.Addr, c.ch.Database
	return c, nil
}

// run starts the service and blocks until ctx is done, then shuts down in
// order: readiness off, stop accepting and drain requests, close ClickHouse.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "token" {
		// A new read token for -tokens / QUERY_TOKENS (32 random bytes).
		_, err := fmt.Fprintln(stdout, httpapi.NewToken())
		return err
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := admin.NewLogger(stderr, cfg.logLevel, "query")
	reg := admin.NewRegistry()

	conn, err := connectWhenMigrated(ctx, cfg.ch, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Readiness pings on a connection of its own, so a pool busy with slow
	// queries never looks like a stalled server (and the other way round).
	healthCfg := cfg.ch
	healthCfg.MaxConns = 1
	health, err := chstore.Connect(ctx, healthCfg)
	if err != nil {
		return err
	}
	defer health.Close()
	ready := admin.NewReadiness(map[string]admin.Check{
		"clickhouse": func(ctx context.Context) error { return health.Ping(ctx) },
	}).WithTimeout(cfg.readyEvery)

	a := api.New(readyStore{Store: store.New(conn, cfg.queryTimeout), ready: ready}, api.Config{
		Logger: log, Registry: reg, Ranges: cfg.ranges, MaxTopArticles: cfg.maxTop, QueryTimeout: cfg.queryTimeout, Tokens: cfg.tokens,
		ReadyTTL: 100 * time.Millisecond, Annotations: cfg.events,
		Unavailable: func() <-chan struct{} { return ready.Down("clickhouse") },
	})
	public := publicHandler(a, cfg.maxInFlight, reg)
	adminHandler, err := admin.Handler(cfg.adminAddr, reg, ready, cfg.adminTokens)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.addr, err)
	}
	adminLn, err := net.Listen("tcp", cfg.adminAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("listen %s (admin): %w", cfg.adminAddr, err)
	}
	srv := httpapi.NewServer(public, httpapi.ServerLimits{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      cfg.queryTimeout + 10*time.Second,
	}, log)
	// One check before announcing the address: /readyz answers the truth
	// from the first request on, not "not checked yet".
	ready.Refresh(ctx)
	fmt.Fprintf(stdout, "query: listening on http://%s\n", ln.Addr())
	log.Info("starting", "addr", ln.Addr().String(), "admin_addr", adminLn.Addr().String(), "clickhouse", cfg.clickhouse,
		"database", cfg.database, "user", cfg.ch.Username, "max_range", cfg.ranges.String(), "read_tokens", len(cfg.tokens))

	bgCtx, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	go ready.Run(bgCtx, cfg.readyEvery)
	err = httpapi.ServeAll(ctx, 10*time.Second, log, func() { a.Drain(); ready.Drain() },
		httpapi.Listener{Ln: ln, Server: srv},
		httpapi.Listener{Ln: adminLn, Server: httpapi.NewServer(adminHandler, httpapi.ServerLimits{}, log)})
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// publicHandler serves the API, with at most maxInFlight /v1 requests at
// once (503 with Retry-After beyond); the dashboard, /healthz and /readyz
// are not capped, so probes answer under load.
func publicHandler(a http.Handler, maxInFlight int, reg prometheus.Registerer) http.Handler {
	overloaded := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "query",
		Name: "overloaded_total", Help: "Requests refused with 503 because -max-inflight /v1 requests were being served."})
	reg.MustRegister(overloaded)
	mux := http.NewServeMux()
	mux.Handle("/v1/", httpapi.Limit(a, maxInFlight, overloaded.Inc))
	mux.Handle("/", a)
	return mux
}

// connectWhenMigrated retries connect until the database exists and is
// migrated (the sink does both; the two may start together), or ctx ends.
// A refused login fails at once: retrying cannot fix it.
func connectWhenMigrated(ctx context.Context, cfg chstore.Config, log *slog.Logger) (driver.Conn, error) {
	var lastLog time.Time
	for {
		conn, err := connect(ctx, cfg, log)
		if err == nil || errors.Is(err, chstore.ErrLogin) {
			return conn, err
		}
		if time.Since(lastLog) > 10*time.Second {
			log.Warn("ClickHouse not ready for queries yet; retrying", "err", err)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// connect opens the pool. A read-only user (the default, tension_query)
// only checks that the sink has migrated the database; a user that may
// write (local experiments) creates and migrates it as the sink does.
func connect(ctx context.Context, cfg chstore.Config, log *slog.Logger) (driver.Conn, error) {
	conn, err := chstore.Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ro, err := chstore.ReadOnly(ctx, conn)
	if err == nil && ro {
		err = chstore.CheckMigrated(ctx, conn)
	} else if err == nil {
		conn.Close()
		if conn, err = chstore.Open(ctx, cfg); err != nil {
			return nil, err
		}
		err = chstore.Migrate(ctx, cfg, conn, log)
		if errors.Is(err, chstore.ErrSchemaNewer) {
			// A newer release migrated the database: writers stop, a reader
			// serves it, as with a read-only user (CheckMigrated).
			log.Warn("the database was migrated by a newer release; serving it as it is", "err", err)
			err = nil
		}
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// readyStore answers Ping from the background readiness check, at once:
// /readyz never waits on a stalled ClickHouse.
type readyStore struct {
	*store.Store
	ready *admin.Readiness
}

func (s readyStore) Ping(context.Context) error {
	if err := s.ready.Err("clickhouse"); err != nil {
		return fmt.Errorf("%w: %w", chstore.ErrUnavailable, err)
	}
	return nil
}
