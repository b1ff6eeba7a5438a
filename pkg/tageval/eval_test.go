package tageval

import (
	"context"
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
	rep, err := RunEval(context.Background(), tg, []string{filepath.Join("testdata", "labeled.jsonl")}, &sb, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + sb.String())
	f := rep.All.Figures()
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"articles", float64(f.Articles), 3},
		{"relevant articles", float64(f.RelevantArticles), 2},
		{"entity P", f.EntityPrecision, 1},
		{"entity R", f.EntityRecall, 0.875},
		{"entity F1", f.EntityF1, round3(2 * (7.0 / 8) / (1 + 7.0/8))},
		{"country F1", f.CountryF1, 1},
		{"relevance", f.RelevanceAccuracy, 1},
		{"direction", f.DirectionAccuracy, 1},
		{"spearman (2 relevant articles: too few)", f.Spearman, 0},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r := rep.Files[0].Results[1]; len(r.MissedEntities) != 1 || r.MissedEntities[0] != "Ministry of Finance/GOV" {
		t.Errorf("missed entities of the second article = %v", r.MissedEntities)
	}
	if r := f.LabelRecall["escalation"]; r.Articles != 1 || r.Exact != 1 {
		t.Errorf("escalation recall = %+v", r)
	}
}
