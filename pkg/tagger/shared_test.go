package tagger

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// sharedDir locates the project's shared/ directory: $TENSION_SHARED, or
// ../shared beside the repository root. Tests that need it fail (never skip)
// with a clear message when it is missing.
func sharedDir(t testing.TB) string {
	t.Helper()
	if s := os.Getenv("TENSION_SHARED"); s != "" {
		if _, err := os.Stat(s); err != nil {
			t.Fatalf("TENSION_SHARED=%s: %v", s, err)
		}
		return s
	}
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Dir(filepath.Dir(filepath.Dir(file))) // <repo>/pkg/tagger/x.go
	s := filepath.Join(repo, "..", "shared")
	if _, err := os.Stat(s); err != nil {
		t.Fatalf("shared directory not found at %s (set TENSION_SHARED): %v", s, err)
	}
	return s
}

func readShared(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(sharedDir(t), rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read %s: %v (the tagger's real-text tests need ../shared; set TENSION_SHARED)", p, err)
	}
	return string(b)
}

func newTagger(t testing.TB) *Tagger {
	t.Helper()
	tg, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return tg
}
