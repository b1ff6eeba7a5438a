// Command backfill replays history into the pipeline: files or directories
// of JSONL/NDJSON/CSV (optionally gzip) or synthetic articles, published
// straight to articles.raw.v1 with their original published_at; and
// `backfill reprocess` re-enriches stored articles with the current tagger.
// See docs/streaming-and-backfill.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) { // -help and -print-config end here
		fmt.Fprintln(os.Stderr, "backfill:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "reprocess" {
		return runReprocess(ctx, args[1:], getenv, stdout, stderr)
	}
	return runLoad(ctx, args, getenv, stdout, stderr)
}
