package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/services/backfill/internal/reprocess"
)

func runReprocess(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagenv.New("backfill reprocess", getenv, stderr)
	brokers := fs.Brokers()
	topic := fs.TopicEnriched()
	fs.DeprecatedFlag("topic", "topic-enriched")
	level := fs.LogLevel()
	chFlags := chstore.DefineFlags(fs, chstore.Writer)
	fromS := fs.FlagSet.String("from", "", "start of the published_at range (YYYY-MM-DD or RFC 3339)")
	toS := fs.FlagSet.String("to", "", "end of the range, exclusive")
	version := fs.FlagSet.String("tagger-version", tagger.Version, "tagger_version stamped on the output (override to simulate a new version)")
	workers := fs.FlagSet.Int("workers", 0, "tagging goroutines (0 = one per CPU)")
	scale := testFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	from, err := event.ParseTime(*fromS)
	if err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	to, err := event.ParseTime(*toS)
	if err != nil {
		return fmt.Errorf("-to: %w", err)
	}
	if !from.Before(to) {
		return fmt.Errorf("-from %s must be before -to %s", from, to)
	}
	if *version == "" {
		return fmt.Errorf("-tagger-version must not be empty (\"\" is the current view)")
	}
	if _, err := event.TaggerPrecedence(*version); err != nil {
		return fmt.Errorf("-tagger-version: %w", err)
	}
	logger := admin.NewLogger(stderr, *level, "backfill")
	t, err := tagger.New()
	if err != nil {
		return fmt.Errorf("load tagger: %w", err)
	}
	chCfg, err := chFlags.Config()
	if err != nil {
		return err
	}
	conn, err := chstore.Open(ctx, chCfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	w := kafkax.NewWriter(kafkax.Brokers(*brokers), *topic, 20*time.Millisecond)
	defer w.Close()
	start := time.Now()
	st, err := reprocess.Run(ctx, reprocess.Config{From: from, To: to, TaggerVersion: *version, Workers: *workers,
		ScoreScale: scale()}, conn, t, w, logger)
	took := time.Since(start)
	fmt.Fprintf(stdout, "reprocessed %d articles as %s (read %d, skipped %d) in %s (%.0f articles/s)\n", st.Published, *version,
		st.Read, st.Skipped, took.Round(time.Millisecond), float64(st.Published)/max(took.Seconds(), 1e-3))
	return err
}
