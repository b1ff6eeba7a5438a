package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/services/backfill/internal/backfill"
)

// A full window is live until it is published; without a limit Go lets
// the heap grow to twice that before it collects (a window of 200,000
// synthetic articles, 210 MB of records: 564 MiB peak RSS; with 384 MiB:
// 399 MiB and the same CPU time). The headroom covers the reader, the
// writer's batch and the ids seen.
const (
	memoryHeadroom     = 128 << 20
	defaultMemoryLimit = backfill.DefaultOrderWindowBytes + memoryHeadroom
)

func runLoad(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagenv.New("backfill", getenv, stderr)
	brokers := fs.Brokers()
	topic := fs.TopicRaw()
	fs.DeprecatedFlag("topic", "topic-raw")
	partitions := fs.Partitions()
	replication := fs.ReplicationFactor()
	minISR := fs.MinInsyncReplicas()
	level := fs.LogLevel()
	columns := fs.FlagSet.String("columns", "", "CSV column mapping, field=column,... (fields: id url source title text lang published_at); unmapped fields use the column of their own name")
	synthetic := fs.FlagSet.Int("synthetic", 0, "generate N synthetic articles (pkg/synth) instead of reading files")
	seed := fs.FlagSet.Uint64("seed", 1, "seed of the synthetic generator: the same seed yields the same articles (and ids)")
	fromS := fs.FlagSet.String("from", "", "synthetic: first publication date (YYYY-MM-DD or RFC 3339)")
	toS := fs.FlagSet.String("to", "", "synthetic: end of the publication range, exclusive")
	rate := fs.FlagSet.Float64("rate", 0, "articles per second at most (0 = as fast as Kafka acknowledges)")
	batch := fs.Int("batch", "BACKFILL_BATCH", 5000, "articles per Kafka write")
	window := fs.FlagSet.Int("order-window", backfill.DefaultOrderWindow, "articles collected, then published sorted by published_at (ties in input order), so the index's inserts span few months; 0 or 1 = input order")
	windowBytes := fs.FlagSet.Int64("order-window-bytes", backfill.DefaultOrderWindowBytes, "a window ends early at this many bytes of encoded articles (bounds memory)")
	memLimit := fs.FlagSet.Int64("memory-limit", int64(admin.MemoryLimit(getenv, defaultMemoryLimit)),
		"Go soft memory limit in bytes, raised to -order-window-bytes + 128 MiB when below (0 = none; default 384 MiB unless GOMEMLIMIT is set)")
	ckpt := fs.FlagSet.String("checkpoint", "", "checkpoint file, rewritten after every acknowledged window (default: .backfill-checkpoint.json in the working directory)")
	resume := fs.FlagSet.Bool("resume", false, "continue from the checkpoint of an interrupted run with the same inputs")
	progressS := fs.FlagSet.String("progress", "auto", "auto (a bar on a terminal, log lines otherwise), bar, log or none")
	logEvery := fs.FlagSet.Duration("log-every", 5*time.Second, "period of progress log lines")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: backfill [flags] FILE|DIR ...\n       backfill [flags] -synthetic N -from DATE -to DATE\n       backfill reprocess -from DATE -to DATE [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *window < 0 || *windowBytes <= 0 {
		return fmt.Errorf("-order-window %d, -order-window-bytes %d: want >= 0 and > 0", *window, *windowBytes)
	}
	if *memLimit > 0 {
		debug.SetMemoryLimit(max(*memLimit, *windowBytes+memoryHeadroom))
	}
	cfg := backfill.Config{Rate: *rate, Batch: *batch, OrderWindow: *window, OrderWindowBytes: *windowBytes,
		Resume: *resume, LogEvery: *logEvery, Progress: stderr}
	if *ckpt == "" {
		*ckpt = ".backfill-checkpoint.json"
	}
	cfg.Checkpoint = *ckpt
	switch {
	case *synthetic > 0:
		if fs.NArg() > 0 {
			return errors.New("-synthetic takes no files")
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
		cfg.Synthetic, cfg.SynthSeed, cfg.SynthFrom, cfg.SynthTo = *synthetic, *seed, from, to
	case fs.NArg() == 0:
		fs.Usage()
		return errors.New("no input: give files or directories, or -synthetic N")
	default:
		ins, err := backfill.ExpandInputs(fs.Args())
		if err != nil {
			return err
		}
		if len(ins) == 0 {
			return errors.New("no input files found (.jsonl, .ndjson, .json, .csv, optionally .gz)")
		}
		cols, err := backfill.ParseColumns(*columns)
		if err != nil {
			return err
		}
		cfg.Inputs, cfg.Columns = ins, cols
	}
	switch *progressS {
	case "auto":
		cfg.TTY = isTerminal(os.Stderr)
	case "bar":
		cfg.TTY = true
	case "log":
	case "none":
		cfg.Progress = io.Discard
	default:
		return fmt.Errorf("-progress %q: want auto, bar, log or none", *progressS)
	}
	logger := admin.NewLogger(stderr, *level, "backfill")
	brokerList := kafkax.Brokers(*brokers)
	ts := kafkax.TopicSettings{Partitions: *partitions, ReplicationFactor: *replication, MinInsyncReplicas: *minISR}
	if err := ts.Check(); err != nil {
		return err
	}
	if err := kafkax.EnsureTopics(ctx, brokerList, ts.Topic(kafkax.Raw, *topic)); err != nil {
		return err
	}
	w := kafkax.NewWriter(brokerList, *topic, 20*time.Millisecond)
	defer w.Close()
	start := time.Now()
	stats, ck, err := backfill.New(cfg, w, logger).Run(ctx)
	fmt.Fprint(stdout, "this run: ", stats.Summary(time.Since(start)))
	if *resume {
		fmt.Fprint(stdout, "all runs: ", ck.Stats.Summary(0))
	}
	if err != nil {
		return fmt.Errorf("stopped (resume with -resume -checkpoint %s): %w", cfg.Checkpoint, err)
	}
	return nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
