//go:build eval

package tageval

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tension-dev/tension/pkg/tagger"
)

// sharedDir locates ../shared relative to the repository root (or
// $TENSION_SHARED), failing the test with a clear message when missing.
func sharedDir(t testing.TB) string {
	t.Helper()
	if s := os.Getenv("TENSION_SHARED"); s != "" {
		if _, err := os.Stat(s); err != nil {
			t.Fatalf("TENSION_SHARED=%s: %v", s, err)
		}
		return s
	}
	_, file, _, _ := runtime.Caller(0)
	// file is <repo>/pkg/tageval/eval_test.go; shared is <repo>/../shared
	repo := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	s := filepath.Join(repo, "..", "shared")
	if _, err := os.Stat(filepath.Join(s, "corpus", "dev.jsonl")); err != nil {
		t.Fatalf("labeled corpus not found at %s (set TENSION_SHARED to the shared/ directory): %v", s, err)
	}
	return s
}

func TestEval(t *testing.T) {
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	rep, err := RunEval(tg, filepath.Join(sharedDir(t), "corpus", "dev.jsonl"), &sb)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + sb.String())
	if testing.Verbose() {
		for _, r := range rep.Results {
			t.Logf("%-60s gold %-13s %+d  pred %-13s %+.2f rel %v/%v  miss %v extra %v  cmiss %v cextra %v",
				r.ID, r.GoldDir, r.GoldIntensity, r.PredDir, r.Tension, r.GoldRel, r.PredRel, r.MissedEntities, r.ExtraEntities, r.MissedCountries, r.ExtraCountries)
		}
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"entity F1", rep.EntityF1, 0.80},
		{"country F1", rep.CountryF1, 0.95},
		{"relevance accuracy", rep.RelevanceAcc, 0.95},
		{"direction accuracy", rep.DirectionAcc, 0.75},
		{"Spearman", rep.Spearman, 0.70},
	}
	for _, c := range checks {
		if c.got < c.want {
			t.Errorf("%s = %.3f, want >= %.2f", c.name, c.got, c.want)
		}
	}
}
