package main

import (
	"context"
	"fmt"
	"io"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/tageval"
	"github.com/tension-dev/tension/pkg/tagger"
)

// runTag is `enricher tag`: JSONL articles on stdin, a line of tags (or an
// error line) for each on stdout. It takes serve's memory settings: the
// tagger keeps ~4 MB live, so at Go's default GOGC a run collected every
// ~4 MB allocated — a few hundred short articles — and the collections
// were a few per cent of its CPU time (docs/performance.md).
func runTag(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flagenv.New("enricher tag", getenv, stderr)
	memory := admin.DefineRuntimeFlags(fs, "ENRICHER", getenv, admin.DefaultMemoryLimit)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: enricher tag [flags] < ARTICLES.jsonl > TAGS.jsonl")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("tag: unexpected arguments %q: it reads the articles from stdin", fs.Args())
	}
	memory.Apply()
	t, err := tagger.New()
	if err != nil {
		return err
	}
	return tageval.RunTag(ctx, t, stdin, stdout)
}
