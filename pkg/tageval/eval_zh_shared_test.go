//go:build eval

package tageval

import (
	"context"
	"strings"
	"testing"

	"github.com/tension-dev/tension/pkg/tagger"
)

// TestEvalZH scores the tagger on the labelled Chinese articles
// (corpus/zh-dev.jsonl, Simplified and Traditional; `make eval`) against the
// floors of issue 14.
func TestEvalZH(t *testing.T) {
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	rep, err := RunEval(context.Background(), tg, []string{corpus(t, "zh-dev.jsonl")}, &sb, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + sb.String())
	results := rep.Files[0].Results
	if testing.Verbose() {
		for _, r := range results {
			t.Logf("%-60s gold %-13s %+d  pred %-13s %+.2f rel %v/%v  miss %v extra %v  cmiss %v cextra %v",
				r.ID, r.GoldDir, r.GoldIntensity, r.PredDir, r.Tension, r.GoldRel, r.PredRel, r.MissedEntities, r.ExtraEntities, r.MissedCountries, r.ExtraCountries)
		}
	}
	for _, r := range results {
		if r.Tags.Lang != "zh" && r.Tags.Lang != "zh-Hant" {
			t.Errorf("%s: read as %q", r.ID, r.Tags.Lang)
		}
	}
	f := rep.All.Figures()
	checks := []struct {
		name      string
		got, want float64
	}{
		{"entity F1", f.EntityF1, 0.80},
		{"country F1", f.CountryF1, 0.90},
		{"relevance accuracy", f.RelevanceAccuracy, 0.90},
		{"direction accuracy", f.DirectionAccuracy, 0.75},
		{"Spearman", f.Spearman, 0.70},
	}
	for _, c := range checks {
		if c.got < c.want {
			t.Errorf("%s = %.3f, want >= %.2f", c.name, c.got, c.want)
		}
	}
}
