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
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tension-dev/tension/pkg/chstore"

	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "query:", err)
		}
		os.Exit(1)
	}
}

// config is the service's configuration: flags, with environment fallbacks.
type config struct {
	addr         string
	clickhouse   string
	database     string
	ranges       api.Ranges
	queryTimeout time.Duration
	tokens       []string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", env("QUERY_ADDR", "127.0.0.1:8081"), "HTTP listen address (env QUERY_ADDR)")
	fs.StringVar(&c.clickhouse, "clickhouse", env("CLICKHOUSE_ADDR", "127.0.0.1:9000"), "ClickHouse native-protocol host:port (env CLICKHOUSE_ADDR)")
	fs.StringVar(&c.database, "database", env("CLICKHOUSE_DB", "tension"), "ClickHouse database (env CLICKHOUSE_DB)")
	maxRange := fs.String("max-range", env("QUERY_MAX_RANGE", api.DefaultRanges.String()),
		"widest from..to per stored granularity, e.g. minute=31d,hour=5y,day=50y; month uses day (env QUERY_MAX_RANGE)")
	timeout := fs.String("query-timeout", env("QUERY_TIMEOUT", "30s"), "time limit of one request's queries (env QUERY_TIMEOUT)")
	tokens := fs.String("tokens", env("QUERY_TOKENS", ""),
		"comma-separated read tokens clients send as Authorization: Bearer <token>; required when -addr is beyond loopback (env QUERY_TOKENS)")
	tokensFile := fs.String("tokens-file", env("QUERY_TOKENS_FILE", ""), "file with one read token per line, added to -tokens (env QUERY_TOKENS_FILE)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, t := range strings.Split(*tokens, ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.tokens = append(c.tokens, t)
		}
	}
	if *tokensFile != "" {
		b, err := os.ReadFile(*tokensFile)
		if err != nil {
			return c, fmt.Errorf("tokens-file: %w", err)
		}
		for _, t := range strings.Split(string(b), "\n") {
			if t = strings.TrimSpace(t); t != "" && !strings.HasPrefix(t, "#") {
				c.tokens = append(c.tokens, t)
			}
		}
	}
	for _, t := range c.tokens {
		if len(t) < 16 {
			return c, fmt.Errorf("tokens: a read token must be at least 16 characters")
		}
	}
	loopback, err := isLoopback(c.addr)
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
	if c.queryTimeout, err = time.ParseDuration(*timeout); err != nil || c.queryTimeout <= 0 {
		return c, fmt.Errorf("query-timeout: want a positive duration such as 30s (got %q)", *timeout)
	}
	return c, nil
}

// isLoopback reports whether addr (host:port) listens on loopback only:
// an empty host, 0.0.0.0 or :: listen everywhere.
func isLoopback(addr string) (bool, error) {
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

// run starts the service and blocks until ctx is done, then shuts down in
// order: readiness off, stop accepting and drain requests, close ClickHouse.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("component", "query")
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	conn, err := chstore.Open(ctx, chstore.Config{Addr: cfg.clickhouse, Database: cfg.database})
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := chstore.Migrate(ctx, conn, log); err != nil {
		return err
	}

	a := api.New(store.New(conn, cfg.queryTimeout), api.Config{
		Logger: log, Registry: reg, Ranges: cfg.ranges, QueryTimeout: cfg.queryTimeout, Tokens: cfg.tokens,
	})
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.addr, err)
	}
	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      cfg.queryTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "query: listening on http://%s\n", ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "clickhouse", cfg.clickhouse, "database", cfg.database,
		"max_range", cfg.ranges.String(), "read_tokens", len(cfg.tokens))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.Drain()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown forced", "err", err)
		_ = srv.Close()
	}
	<-served
	log.Info("stopped")
	return nil
}
