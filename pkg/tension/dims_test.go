package tension

import (
	"testing"

	"github.com/tension-dev/tension/pkg/event"
)

func stateMedia(s string) bool { return s == "Xinhua" || s == "state media" }

func TestSourceClass(t *testing.T) {
	for _, tc := range []struct {
		typ, source, want string
	}{
		{"GOV", "Ministry of Commerce", SourceGovernment},
		{"MEDIA", "Xinhua", SourceStateMedia},
		{"MEDIA", "state media", SourceStateMedia},
		{"MEDIA", "Reuters", SourcePress},
		{"NEWS", "", SourcePress},
		{"ANALYST", "Goldman Sachs", SourceAnalyst},
		{"ORG", "Apple", SourceFirm},
		{"PERSON", "Dong Chen", SourceOther},
		{"ANON", "", SourceOther},
		{"", "", SourceOther},
	} {
		if got := SourceClass(event.Cue{SourceType: tc.typ, Source: tc.source}, stateMedia); got != tc.want {
			t.Errorf("%s %q: %s, want %s", tc.typ, tc.source, got, tc.want)
		}
	}
}

func TestDyadCell(t *testing.T) {
	cue := func(actor, typ, src string, w float64) event.Cue {
		return event.Cue{Actor: actor, Target: "x", SourceType: typ, Source: src, Weight: w}
	}
	for _, tc := range []struct {
		name string
		cues []event.Cue
		lang string
		want Cell
	}{
		{"one US cue from a ministry", []event.Cue{cue("US", "GOV", "USTR", 7)}, "en", Cell{"US", SourceGovernment, "en"}},
		{"the heavier side acts", []event.Cue{cue("US", "GOV", "", 3), cue("CN", "MEDIA", "Xinhua", 4)}, "zh", Cell{"CN", SourceStateMedia, "zh"}},
		{"equal weights: no side", []event.Cue{cue("US", "NEWS", "", 3), cue("CN", "NEWS", "", 3)}, "en", Cell{"", SourcePress, "en"}},
		{"source tie: first in order", []event.Cue{cue("US", "ANALYST", "", 2), cue("US", "GOV", "", 2)}, "", Cell{"US", SourceGovernment, UndLang}},
		{"weights of one source add", []event.Cue{cue("US", "ORG", "", 2), cue("US", "ORG", "", 2), cue("US", "GOV", "", 3)}, "en", Cell{"US", SourceFirm, "en"}},
		{"no cues", nil, "en", Cell{"", SourceOther, "en"}},
		{"bad lang", nil, "e|n", Cell{"", SourceOther, UndLang}},
	} {
		got := DyadCell(event.Dyad{Pair: "CN-US", Cues: tc.cues}, tc.lang, stateMedia)
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
		back, err := ParseCellKey(got.Key())
		if err != nil || back != got {
			t.Errorf("%s: key %q parses to %+v, %v", tc.name, got.Key(), back, err)
		}
		p, k := SplitCellPair(CellPair("CN-US", got))
		if p != "CN-US" || k != got.Key() {
			t.Errorf("%s: SplitCellPair: %q %q", tc.name, p, k)
		}
	}
	if p, k := SplitCellPair("CN-US"); p != "CN-US" || k != "" {
		t.Errorf("plain pair split to %q %q", p, k)
	}
}

func FuzzParseCellKey(f *testing.F) {
	f.Add("US|government|en")
	f.Add("||zh")
	f.Fuzz(func(t *testing.T, k string) {
		c, err := ParseCellKey(k)
		if err == nil && c.Key() != k {
			t.Fatalf("%q parsed to %+v, which encodes as %q", k, c, c.Key())
		}
	})
}
