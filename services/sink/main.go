// Command sink writes enriched articles to ClickHouse with an exactly-once
// effect on the index (see internal/sink), and rebuilds the index from the
// raw tables (`sink rebuild`).
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
		fmt.Fprintln(os.Stderr, "sink:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rebuild" {
		return runRebuild(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "topics" {
		return runTopics(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "serve" {
		args = args[1:]
	}
	return runServe(ctx, args, getenv, stderr)
}
