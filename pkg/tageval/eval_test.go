package tageval

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tension-dev/tension/pkg/tagger"
)

// TestRunEvalFigures scores a small labelled file written for this test
// (testdata/labeled.jsonl) whose figures can be counted by hand: 8 labelled
// entities of which the tagger finds 7 (the second article's "Ministry of
// Finance" is labelled but not in the text) and nothing else; every country,
// relevance flag and direction right.
func TestRunEvalFigures(t *testing.T) {
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	rep, err := RunEval(tg, filepath.Join("testdata", "labeled.jsonl"), &sb)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + sb.String())
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"articles", float64(rep.Articles), 3},
		{"entity P", rep.EntityP, 1},
		{"entity R", rep.EntityR, 7.0 / 8},
		{"entity F1", rep.EntityF1, 2 * (7.0 / 8) / (1 + 7.0/8)},
		{"country F1", rep.CountryF1, 1},
		{"relevance", rep.RelevanceAcc, 1},
		{"direction", rep.DirectionAcc, 1},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r := rep.Results[1]; len(r.MissedEntities) != 1 || r.MissedEntities[0] != "Ministry of Finance/GOV" {
		t.Errorf("missed entities of the second article = %v", r.MissedEntities)
	}
}
