//go:build !testhooks

package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/tension-dev/tension/services/sink/internal/sink"
)

// TestProductionBuildHasNoKillHook: without the testhooks tag the sink
// ignores SINK_TEST_KILL_AFTER_JOURNAL (it must never SIGKILL itself).
func TestProductionBuildHasNoKillHook(t *testing.T) {
	var cfg sink.Config
	testHooks(&cfg, func(string) string { return "1" }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if cfg.AfterJournal != nil {
		t.Fatal("a production build installed the SIGKILL test hook")
	}
}
