// Package testenv is what long tests and benchmarks read of the machine they
// run on: their settings from the environment (TENSION_BENCH_*,
// TENSION_SOAK_*), one rule for all of them, so that a mistyped value stops
// the run with its name instead of running with a default nobody asked for;
// and the CPU time and state of processes (their own, the platform's
// servers, the services a drill started) and the machine's load, printed
// beside their figures.
package testenv

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// Int returns the positive integer in the environment variable name, or def
// when it is unset or empty; anything else fails tb.
func Int(tb testing.TB, name string, def int) int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// Duration returns the positive Go duration in the environment variable
// name ("24h", "17520h"), or def when it is unset or empty; anything else
// fails tb.
func Duration(tb testing.TB, name string, def time.Duration) time.Duration {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		tb.Fatalf("%s=%q: want a positive duration", name, v)
	}
	return d
}
