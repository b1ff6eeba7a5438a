package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// TestSecurityAdmin: the enricher's only listener is its admin one; beyond
// loopback it refuses to start without admin tokens (16+ characters),
// before it connects to anything.
func TestSecurityAdmin(t *testing.T) {
	none := func(string) string { return "" }
	for _, args := range [][]string{
		{"serve", "-addr", "0.0.0.0:0"},
		{"serve", "-addr", "0.0.0.0:0", "-admin-tokens", "short"},
	} {
		err := run(context.Background(), args, none, &bytes.Buffer{}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "admin") {
			t.Errorf("run %v: %v, want a refusal about admin tokens", args, err)
		}
	}
}
