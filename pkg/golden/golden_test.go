package golden

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records its first failure instead of
// stopping.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Fatalf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *recorder) Fatal(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *recorder) Helper()                           {}

func (r *recorder) fail(msg string) {
	if r.failed == "" {
		r.failed = msg
	}
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	r := &recorder{TB: t}
	if Check(r, path, []byte("a\n"), false); !strings.Contains(r.failed, "no such file") || !strings.Contains(r.failed, "run with -update") {
		t.Fatalf("missing golden file: %q", r.failed)
	}
	r = &recorder{TB: t}
	Check(r, path, []byte("a\n"), true)
	Check(r, path, []byte("a\n"), false)
	if r.failed != "" {
		t.Fatalf("same output: %q", r.failed)
	}
	if Check(r, path, []byte("b\n"), false); !strings.Contains(r.failed, "differs (run with -update to accept)") {
		t.Fatalf("other output: %q", r.failed)
	}
}
