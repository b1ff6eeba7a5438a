package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestServeRefusesANegativeMinFlushInterval: a negative -min-flush-interval
// (or SINK_MIN_FLUSH_INTERVAL) is refused before the sink connects to
// anything.
func TestServeRefusesANegativeMinFlushInterval(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{args: []string{"serve", "-min-flush-interval", "-1ms"}},
		{args: []string{"serve"}, env: map[string]string{"SINK_MIN_FLUSH_INTERVAL": "-250ms"}},
	} {
		getenv := func(k string) string { return tc.env[k] }
		err := run(context.Background(), tc.args, getenv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "-min-flush-interval") {
			t.Errorf("run %v with %v: %v, want a refusal of -min-flush-interval", tc.args, tc.env, err)
		}
	}
}
