// Command ingest accepts articles over HTTP (POST /v1/articles: one JSON
// article or an NDJSON batch), validates them, gives each its stable
// article_id and publishes them to articles.raw.v1, answering 202 only after
// Kafka acknowledged.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/httpapi"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/services/ingest/internal/api"
	"github.com/tension-dev/tension/services/ingest/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) { // -help and -print-config end here
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

// run wires and runs the service until ctx ends, then shuts down in order:
// readiness off, stop accepting and drain in-flight requests, close the
// Kafka writer. Tests run it in-process with their own ctx (no signals).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "token" {
		// A new bearer token for -tokens / INGEST_TOKENS (32 random bytes).
		_, err := fmt.Fprintln(stdout, httpapi.NewToken())
		return err
	}
	return runListener(ctx, args, getenv, stdout, stderr, nil)
}

// runListener is run on an already bound listener when ln is not nil
// (tests bind port 0 and pass the listener).
func runListener(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ln net.Listener) error {
	cfg, err := config.Parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	cfg.Memory.Apply()
	logger := admin.NewLogger(stderr, cfg.LogLevel, "ingest")
	if cfg.InsecureNoAuth && len(cfg.Tokens) == 0 {
		logger.Warn("running WITHOUT authentication (-insecure-no-auth): anyone who can reach the port can publish")
	}
	reg := admin.NewRegistry()

	w := kafkax.NewWriter(cfg.Brokers, cfg.Topic, 0)
	w.BatchBytes = int64(cfg.MaxMessageBytes)
	w.WriteTimeout = cfg.PublishTimeout
	// The writer gets its own transport: kafka-go's DefaultTransport caches
	// cluster metadata (6 s TTL) shared with every kafka.Client in the
	// process, so the readiness Ping taken before the topics existed would
	// make the first writes fail with "Unknown Topic Or Partition".
	w.Transport = &kafka.Transport{ClientID: "tension-ingest", MetadataTTL: 2 * time.Second}
	defer func() {
		if err := w.Close(); err != nil {
			logger.Warn("closing kafka writer", "err", err)
		}
	}()

	// Topics are ensured in the background until it succeeds, so ingest
	// starts (and answers 503) while Kafka is still coming up.
	var topicsReady atomic.Bool
	ready := admin.NewReadiness(map[string]admin.Check{
		"kafka": func(ctx context.Context) error { return kafkax.Ping(ctx, cfg.Brokers) },
		"topics": func(ctx context.Context) error {
			if topicsReady.Load() {
				return nil
			}
			if err := ensureTopics(ctx, cfg); err != nil {
				return err
			}
			topicsReady.Store(true)
			logger.Info("topics ensured", "partitions", cfg.Partitions)
			return nil
		},
	})

	h := api.New(w, api.Config{
		Tokens:          cfg.Tokens,
		MaxBody:         cfg.MaxBody,
		MaxBatch:        cfg.MaxBatch,
		MaxMessageBytes: cfg.MaxMessageBytes,
		PublishTimeout:  cfg.PublishTimeout,
		Logger:          logger.With("component", "api"),
		Metrics:         api.NewMetrics(reg),
	})
	adminHandler, err := admin.Handler(cfg.AdminAddr, reg, ready, cfg.AdminTokens)
	if err != nil {
		return err
	}
	adminLn, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		return fmt.Errorf("listen %s (admin): %w", cfg.AdminAddr, err)
	}

	bgCtx, stopBG := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	bg.Go(func() { ready.Run(bgCtx, cfg.ReadyInterval) })
	defer func() { stopBG(); bg.Wait() }()

	if ln == nil {
		ln, err = net.Listen("tcp", cfg.Addr)
		if err != nil {
			adminLn.Close()
			return fmt.Errorf("listen %s: %w", cfg.Addr, err)
		}
	}
	public, err := publicHandler(ln.Addr().String(), cfg.MaxInFlight, h, reg, ready)
	if err != nil {
		ln.Close()
		adminLn.Close()
		return err
	}
	logger.Info("starting", "addr", ln.Addr().String(), "admin_addr", adminLn.Addr().String(), "brokers", cfg.Brokers, "topic", cfg.Topic,
		"tokens", len(cfg.Tokens), "max_body", cfg.MaxBody, "max_batch", cfg.MaxBatch)

	// Shutdown: when ctx ends, readiness goes off first, then both servers
	// stop accepting and drain, then the deferred Close flushes and closes
	// the writer.
	err = httpapi.ServeAll(ctx, cfg.ShutdownGrace, logger, ready.Drain,
		httpapi.Listener{Ln: ln, Server: httpapi.NewServer(public, httpapi.ServerLimits{}, logger)},
		httpapi.Listener{Ln: adminLn, Server: httpapi.NewServer(adminHandler, httpapi.ServerLimits{}, logger)})
	logger.Info("stopped", "err", err)
	return err
}

// publicHandler is the public listener: POST /v1/articles behind the token
// and the concurrency cap, and /healthz. /readyz and /metrics are served
// there too only while it listens on loopback (the same exposure as the
// admin listener); beyond loopback they are on the admin listener only.
func publicHandler(addr string, maxInFlight int, h *api.Handler, reg *prometheus.Registry, ready *admin.Readiness) (http.Handler, error) {
	loopback, err := httpapi.IsLoopback(addr)
	if err != nil {
		return nil, err
	}
	overloaded := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "ingest",
		Name: "overloaded_total", Help: "Requests refused with 503 because -max-inflight requests were being served."})
	reg.MustRegister(overloaded)
	apiMux := http.NewServeMux()
	h.Mount(apiMux)
	mux := http.NewServeMux()
	mux.Handle("/v1/", httpapi.Limit(apiMux, maxInFlight, overloaded.Inc))
	if loopback {
		admin.Mount(mux, reg, ready)
	} else {
		mux.HandleFunc("GET /healthz", admin.Healthz)
	}
	return mux, nil
}

// ensureTopics creates the topics ingest and the pipeline use, then waits
// until every partition of them has a leader: a topic just created is not
// writable at once, and readiness must mean that a write can succeed.
func ensureTopics(ctx context.Context, cfg config.Config) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	t := cfg.Topics()
	specs := []kafkax.TopicSpec{t.Topic(kafkax.Raw, cfg.Topic), t.Topic(kafkax.Enriched, ""), t.Topic(kafkax.DLQ, ""), t.Topic(kafkax.Index, "")}
	if err := kafkax.EnsureTopics(ctx, cfg.Brokers, specs...); err != nil {
		return err
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Timeout: 5 * time.Second}
	for {
		err := topicsLed(ctx, client, names)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topics created but not usable: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func topicsLed(ctx context.Context, client *kafka.Client, names []string) error {
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: names})
	if err != nil {
		return err
	}
	if len(md.Topics) != len(names) {
		return fmt.Errorf("metadata lists %d of %d topics", len(md.Topics), len(names))
	}
	for _, t := range md.Topics {
		if t.Error != nil {
			return fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		if len(t.Partitions) == 0 {
			return fmt.Errorf("topic %s: no partitions yet", t.Name)
		}
		for _, p := range t.Partitions {
			if p.Error != nil || p.Leader.Host == "" {
				return fmt.Errorf("topic %s partition %d: no leader yet", t.Name, p.ID)
			}
		}
	}
	return nil
}
