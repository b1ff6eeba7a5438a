//go:build !testhooks

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestProductionBuildHasNoTestFlags: without the testhooks tag `backfill
// reprocess` refuses -test-score-scale as an unknown flag.
func TestProductionBuildHasNoTestFlags(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"reprocess", "-from", "2024-01-01", "-to", "2024-02-01", "-test-score-scale", "0.5"},
		func(string) string { return "" }, &bytes.Buffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "flag provided but not defined: -test-score-scale") {
		t.Fatalf("err = %v, want an unknown-flag error", err)
	}
}
