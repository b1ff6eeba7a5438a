// Command enricher tags raw articles and publishes them enriched (`serve`,
// the default), and exposes the tagger for measurement: `tag` (JSONL in,
// JSONL out) and `eval FILE...` (scores against labelled files,
// docs/tagger-eval.md).
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

	"github.com/tension-dev/tension/pkg/tageval"
	"github.com/tension-dev/tension/pkg/tagger"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) { // -help and -print-config end here
		fmt.Fprintln(os.Stderr, "enricher:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "tag" || args[0] == "eval") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "tag":
		return runTag(ctx, args, getenv, stdin, stdout, stderr)
	case "eval":
		fs := flag.NewFlagSet("eval", flag.ContinueOnError)
		fs.SetOutput(stderr)
		asJSON := fs.Bool("json", false, "print one JSON object per file (the reference scorer's keys, plus label recall and categories)")
		fs.Usage = func() {
			fmt.Fprintln(stderr, "usage: enricher eval [-json] LABELLED.jsonl... (docs/tagger-eval.md)")
			fs.PrintDefaults()
		}
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			fs.Usage()
			return fmt.Errorf("eval: no labelled file")
		}
		t, err := tagger.New()
		if err != nil {
			return err
		}
		_, err = tageval.RunEval(ctx, t, fs.Args(), stdout, *asJSON)
		return err
	}
	return runServe(ctx, args, getenv, stderr)
}
