// Command follow is the source follower: it polls the RSS and Atom feeds of
// a sources file, fetches the pages of items that carry only a summary, and
// publishes each new article to articles.raw.v1 through the pipeline's one
// admission rule (the same validation, ids and topics as ingest), with its
// progress in a state file so a restart neither loses nor re-publishes the
// world. `follow check FILE` validates a sources file. See README "Following
// sources" and docs/follow.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/services/follow/internal/fetch"
	"github.com/tension-dev/tension/services/follow/internal/follow"
	"github.com/tension-dev/tension/services/follow/internal/sources"
	"github.com/tension-dev/tension/services/follow/internal/state"
)

// Agent is the follower's product token: its User-Agent starts with it and
// robots.txt groups for it apply.
const Agent = "TensionFollower"

// Version is sent in the User-Agent.
const Version = "1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "follow:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "check" {
		return runCheck(args[1:], getenv, stdout, stderr)
	}
	cfg, err := parseConfig(args, getenv, stderr, false)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stdout, stderr)
}

// runCheck validates a sources file and prints what it defines.
func runCheck(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr, true)
	if err != nil {
		return err
	}
	srcs, err := loadSources(cfg)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "line\tname\tlang\tinterval\tfull_text\turl")
	for _, s := range srcs {
		lang := s.Lang
		if lang == "" {
			lang = "(page)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", s.Line, s.Name, lang, s.Interval, s.FullText, s.URL)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s: %d sources, valid\n", cfg.sources, len(srcs))
	return err
}

func loadSources(cfg config) ([]sources.Source, error) {
	return sources.Load(cfg.sources, sources.Limits{MinInterval: cfg.minInterval, DefaultInterval: cfg.defaultInterval})
}

func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	logger := admin.NewLogger(stderr, cfg.logLevel, "follow")
	srcs, err := loadSources(cfg)
	if err != nil {
		return err
	}
	store, err := state.Open(cfg.statePath)
	if err != nil {
		return err
	}
	urls, hosts := make([]string, len(srcs)), map[string]bool{}
	for i, s := range srcs {
		urls[i] = s.URL
		if u, err := url.Parse(s.URL); err == nil {
			hosts[u.Hostname()] = true
		}
	}
	if err := store.Retain(urls); err != nil {
		return err
	}
	trusted := make([]string, 0, len(hosts))
	for h := range hosts {
		trusted = append(trusted, h)
	}
	reg := admin.NewRegistry()
	fetcher := fetch.New(fetch.Config{
		UserAgent: fmt.Sprintf("%s/%s (+%s)", Agent, Version, cfg.contactURL), Agent: Agent,
		Timeout: cfg.fetchTimeout, MaxRedirects: cfg.maxRedirects, HostInterval: cfg.hostInterval,
		HostConcurrency: cfg.hostConcurrency, RobotsTTL: cfg.robotsTTL, AllowPrivate: cfg.allowPrivate, TrustedHosts: trusted,
	})
	raw := kafkax.NewWriter(cfg.brokers, cfg.topicRaw, 0)
	dlq := kafkax.NewWriter(cfg.brokers, cfg.topicDLQ, 0)
	defer func() {
		for _, w := range []io.Closer{raw, dlq} {
			if err := w.Close(); err != nil {
				logger.Warn("closing kafka writer", "err", err)
			}
		}
	}()
	f := follow.New(follow.Config{
		Sources: srcs, Store: store, Fetcher: fetcher, Raw: raw, DLQ: dlq,
		Concurrency: cfg.concurrency, MaxFeedBytes: int64(cfg.maxFeedBytes), MaxPageBytes: int64(cfg.maxPageBytes),
		MaxItems: cfg.maxItems, PollBudget: cfg.pollBudget, PageAttempts: cfg.pageAttempts, MaxBackoff: cfg.maxBackoff, PublishTimeout: cfg.publishTimeout,
		Logger: logger, Metrics: follow.NewMetrics(reg),
	})

	// Topics are ensured before the first poll (publishing into a topic that
	// does not exist would fail every poll) and then checked by /readyz.
	var topicsReady atomic.Bool
	ensure := func(ctx context.Context) error {
		if topicsReady.Load() {
			return nil
		}
		ts := cfg.topics()
		if err := kafkax.EnsureTopics(ctx, cfg.brokers, ts.Topic(kafkax.Raw, cfg.topicRaw), ts.Topic(kafkax.DLQ, cfg.topicDLQ)); err != nil {
			return err
		}
		topicsReady.Store(true)
		return nil
	}
	ready := admin.NewReadiness(map[string]admin.Check{
		"kafka":  func(ctx context.Context) error { return kafkax.Ping(ctx, cfg.brokers) },
		"topics": ensure,
	})
	logger.Info("starting", "sources", len(srcs), "state", cfg.statePath, "admin_addr", cfg.adminAddr, "brokers", cfg.brokers,
		"topic", cfg.topicRaw, "user_agent", fmt.Sprintf("%s/%s (+%s)", Agent, Version, cfg.contactURL), "once", cfg.once)

	if cfg.once {
		return runOnce(ctx, f, ensure, stdout)
	}

	adminHandler, err := admin.Handler(cfg.adminAddr, reg, ready, cfg.adminTokens,
		admin.Route{Pattern: "GET /v1/sources", Handler: f.SourcesHandler()})
	if err != nil {
		return err
	}
	// Polls start once the topics exist. Shutdown (ctx) stops them: the
	// poll in hand finishes its publish (bounded by -publish-timeout) and
	// writes the state; readiness goes off as they stop.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var wg sync.WaitGroup
	wg.Go(func() { ready.Run(runCtx, cfg.readyInterval) })
	wg.Go(func() {
		defer ready.Drain()
		for runCtx.Err() == nil {
			err := ensure(runCtx)
			if err == nil {
				_ = f.Run(runCtx)
				return
			}
			logger.Warn("waiting for Kafka before the first poll", "err", err)
			select {
			case <-runCtx.Done():
			case <-time.After(2 * time.Second):
			}
		}
	})
	err = admin.Serve(ctx, cfg.adminAddr, adminHandler, cfg.shutdownGrace, logger)
	stopRun()
	wg.Wait()
	logger.Info("stopped", "err", err)
	return err
}

// runOnce polls every source once and prints a line per source.
func runOnce(ctx context.Context, f *follow.Follower, ensure func(context.Context) error, stdout io.Writer) error {
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := ensure(tctx)
	cancel()
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	var failed []string
	for _, r := range f.PollAll(ctx) {
		line := fmt.Sprintf("%s: %s, %d new, %d published, %d dead letters, %d pending", r.Source, r.Status, r.New, r.Published, r.DeadLetters, r.Pending)
		if r.Err != nil {
			line += ": " + r.Err.Error()
			failed = append(failed, r.Source)
		}
		fmt.Fprintln(stdout, line)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of the sources failed: %s", len(failed), strings.Join(failed, ", "))
	}
	return nil
}
