package flagenv

import (
	"io"
	"testing"
	"time"
)

func TestPrecedence(t *testing.T) {
	env := map[string]string{"A": "from-env", "N": "7", "D": "2s"}
	tests := []struct {
		name  string
		args  []string
		wantA string
		wantN int
		wantD time.Duration
	}{
		{"env over default", nil, "from-env", 7, 2 * time.Second},
		{"flag over env", []string{"-a", "flag", "-n", "9", "-d", "1ms"}, "flag", 9, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New("x", func(k string) string { return env[k] }, io.Discard)
			a := s.String("a", "A", "def", "")
			n := s.Int("n", "N", 1, "")
			d := s.Duration("d", "D", time.Second, "")
			if err := s.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if *a != tt.wantA || *n != tt.wantN || *d != tt.wantD {
				t.Fatalf("got %q %d %v", *a, *n, *d)
			}
		})
	}
}

func TestBadEnvIsAnError(t *testing.T) {
	s := New("x", func(k string) string { return map[string]string{"N": "seven"}[k] }, io.Discard)
	s.Int("n", "N", 1, "")
	if err := s.Parse(nil); err == nil {
		t.Fatal("want error for N=seven")
	}
}
