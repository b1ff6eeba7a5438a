package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

// TestTagCommandLine: `enricher tag` takes the memory flags of serve and
// nothing else, and tags stdin to stdout.
func TestTagCommandLine(t *testing.T) {
	// runTag sets the process's GOGC and memory limit: put them back
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	none := func(string) string { return "" }
	line := `{"id":"a","text":"Washington raised tariffs on Chinese goods."}` + "\n"
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" = tags the line
	}{
		{"defaults", []string{"tag"}, ""},
		{"memory flags", []string{"tag", "-gc-percent", "200", "-memory-limit", "268435456"}, ""},
		{"bad flag value", []string{"tag", "-gc-percent", "many"}, "invalid value"},
		{"unknown flag", []string{"tag", "-workers", "2"}, "not defined"},
		{"file argument", []string{"tag", "articles.jsonl"}, "reads the articles from stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			err := run(context.Background(), tt.args, none, strings.NewReader(line), &out, &errs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error()+errs.String(), tt.wantErr) {
					t.Fatalf("err = %v (stderr %q), want one with %q", err, errs.String(), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), `{"id":"a","article_id":`) || strings.Count(out.String(), "\n") != 1 {
				t.Errorf("output %q, want one line of tags for id a", out.String())
			}
		})
	}
	if got := debug.SetGCPercent(100); got != 200 {
		t.Errorf("GOGC after -gc-percent 200 = %d", got)
	}
}
