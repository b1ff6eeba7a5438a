package testenv

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that records Fatalf instead of stopping.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestInt(t *testing.T) {
	const name = "TENSION_TESTENV_INT"
	for _, c := range []struct {
		value string
		want  int
		fails bool
	}{
		{"", 7, false},
		{"12", 12, false},
		{"0", 0, true},
		{"-3", 0, true},
		{"1e3", 0, true},
		{"ten", 0, true},
	} {
		t.Setenv(name, c.value)
		r := &recorder{TB: t}
		got := Int(r, name, 7)
		if failed := r.failed != ""; failed != c.fails {
			t.Errorf("%q: failed %v (%q), want %v", c.value, failed, r.failed, c.fails)
		}
		if !c.fails && got != c.want {
			t.Errorf("%q: got %d, want %d", c.value, got, c.want)
		}
		if c.fails && !strings.Contains(r.failed, name) {
			t.Errorf("%q: the failure %q does not name the variable", c.value, r.failed)
		}
	}
}

func TestDuration(t *testing.T) {
	const name = "TENSION_TESTENV_DURATION"
	for _, c := range []struct {
		value string
		want  time.Duration
		fails bool
	}{
		{"", time.Hour, false},
		{"17520h", 17520 * time.Hour, false},
		{"90s", 90 * time.Second, false},
		{"0s", 0, true},
		{"-1h", 0, true},
		{"24", 0, true},
	} {
		t.Setenv(name, c.value)
		r := &recorder{TB: t}
		got := Duration(r, name, time.Hour)
		if failed := r.failed != ""; failed != c.fails {
			t.Errorf("%q: failed %v (%q), want %v", c.value, failed, r.failed, c.fails)
		}
		if !c.fails && got != c.want {
			t.Errorf("%q: got %v, want %v", c.value, got, c.want)
		}
		if c.fails && !strings.Contains(r.failed, name) {
			t.Errorf("%q: the failure %q does not name the variable", c.value, r.failed)
		}
	}
}
