// Package golden compares a test's output with a golden file in testdata/,
// or rewrites the file when the test runs with -update: the one rule for
// every golden test, so none forgets to say how to accept a change.
package golden

import (
	"bytes"
	"os"
	"testing"
)

// Check fails t when got differs from the file at path; with update it
// writes got there instead (and the caller's assertions of the cases one
// by one keep a careless -update from blessing a regression).
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (run with -update to accept):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
