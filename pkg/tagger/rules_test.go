package tagger

import (
	"strings"
	"testing"

	"github.com/tension-dev/tension/pkg/event"
)

// findCue returns the first cue (over all dyads) whose text contains sub.
func findCue(tags event.Tags, sub string) *event.Cue {
	for i := range tags.Dyads {
		for j := range tags.Dyads[i].Cues {
			if strings.Contains(tags.Dyads[i].Cues[j].Text, sub) {
				return &tags.Dyads[i].Cues[j]
			}
		}
	}
	return nil
}

func TestCueRules(t *testing.T) {
	tg := newTagger(t)
	type want struct {
		actor, target string
		polarity      int
		negated       bool
		hedged        bool
		future        bool
		background    bool
		sourceType    string
		zero          bool // weight 0 (voided)
	}
	tests := []struct {
		name string
		text string
		cue  string
		want want
	}{
		{"plain act", "Washington raised tariffs on Chinese steel on Monday.", "raised tariffs",
			want{actor: "US", target: "CN", polarity: 1, sourceType: "NEWS"}},
		{"negation flips", "China will not negotiate with the United States over tariffs.", "negotiate",
			want{actor: "CN", target: "US", polarity: 1, negated: true, future: true, sourceType: "NEWS"}},
		{"double negation cancels", "China never said that it won't negotiate with the U.S. on trade.", "negotiate",
			want{actor: "CN", target: "US", polarity: -1, negated: false, sourceType: "GOV"}},
		{"neither voids", "The U.S. and China traded barbs over U.S. tariffs. Neither side expects negotiations with Beijing soon.", "negotiations",
			want{polarity: -1, negated: true, zero: true, hedged: true, sourceType: "NEWS", actor: "US", target: "CN"}},
		{"firm never is not negation", "Beijing said it would never kneel down to the United States on tariffs.", "never kneel down",
			want{actor: "CN", target: "US", polarity: 1, negated: false, future: true, sourceType: "GOV"}},
		{"hedge may", "Tokyo may impose tariffs on Chinese steel, officials said.", "impose tariffs",
			want{actor: "JP", target: "CN", polarity: 1, hedged: true, sourceType: "GOV"}},
		{"unnamed sources hedge", "Citing unnamed sources, the report said Washington reached out to Beijing about trade.", "reached out",
			want{actor: "US", target: "CN", polarity: -1, hedged: true, sourceType: "ANON"}},
		{"state media speaker", "State media said the U.S. had sought talks with China on tariffs.", "sought talks",
			want{actor: "US", target: "CN", polarity: -1, hedged: true, background: true, sourceType: "MEDIA"}},
		{"analyst speaker", "Beijing may soften its stance on tariffs toward Washington, said Mia Lorten, an economist at Harbor Ridge Capital.", "soften",
			want{actor: "CN", target: "US", polarity: -1, hedged: true, sourceType: "ANALYST"}},
		{"passive by", "Chinese steel was hit with new tariffs by the United States on Friday.", "hit with",
			want{actor: "US", target: "CN", polarity: 1, sourceType: "NEWS"}},
		{"background after", "Trade tensions with China worsened after Washington raised tariffs on Chinese goods.", "raised tariffs",
			want{actor: "US", target: "CN", polarity: 1, background: true, sourceType: "NEWS"}},
		{"future will", "The European Union will cut tariffs on American cars next month.", "cut tariffs",
			want{actor: "EU", target: "US", polarity: -1, future: true, sourceType: "NEWS"}},
		{"hypothetical if", "If Washington raises tariffs again, China will retaliate against the U.S.", "raises tariffs",
			want{actor: "US", target: "CN", polarity: 1, future: true, sourceType: "NEWS"}},
		{"reported speech after quote", `"We will retaliate against any U.S. tariffs," Chinese commerce ministry spokesman Wen Qiao said.`, "retaliate",
			want{actor: "CN", target: "US", polarity: 1, future: true, sourceType: "GOV"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tags := tg.Tag("", tc.text)
			c := findCue(tags, tc.cue)
			if c == nil {
				t.Fatalf("no cue %q in %+v", tc.cue, tags.Dyads)
			}
			w := tc.want
			if c.Actor != w.actor || c.Target != w.target || c.Polarity != w.polarity || c.Negated != w.negated ||
				c.Hedged != w.hedged || c.Future != w.future || c.Background != w.background || c.SourceType != w.sourceType ||
				(c.Weight == 0) != w.zero {
				t.Errorf("cue %q = actor %s target %s pol %d neg %v hedged %v future %v bg %v src %s/%s w %.2f\nwant %+v",
					c.Text, c.Actor, c.Target, c.Polarity, c.Negated, c.Hedged, c.Future, c.Background, c.Source, c.SourceType, c.Weight, w)
			}
			if tc.text[c.Start:c.End] != c.Text {
				t.Errorf("offsets %d:%d give %q, cue text %q", c.Start, c.End, tc.text[c.Start:c.End], c.Text)
			}
		})
	}
}

func TestModifiersLowerWeight(t *testing.T) {
	tg := newTagger(t)
	weight := func(text, cue string) float64 {
		t.Helper()
		c := findCue(tg.Tag("", text), cue)
		if c == nil {
			t.Fatalf("no cue %q in %q", cue, text)
		}
		return c.Weight
	}
	base := weight("Markets were calm. Analysts were busy. Washington imposed tariffs on Chinese steel.", "imposed tariffs")
	for _, tc := range []struct{ name, text, cue string }{
		{"hedged", "Markets were calm. Analysts were busy. Washington reportedly imposed tariffs on Chinese steel.", "imposed tariffs"},
		{"background", "Markets were calm. Analysts were busy. Last year Washington imposed tariffs on Chinese steel.", "imposed tariffs"},
		{"analyst", "Markets were calm. Analysts were busy. Washington imposed tariffs on Chinese steel, said Ola Brenn, an economist at Fjord Securities.", "imposed tariffs"},
	} {
		if w := weight(tc.text, tc.cue); w >= base {
			t.Errorf("%s: weight %.2f, want below the plain %.2f", tc.name, w, base)
		}
	}
	lead := weight("Washington imposed tariffs on Chinese steel. Markets were calm. Analysts were busy.", "imposed tariffs")
	if lead <= base {
		t.Errorf("lead weight %.2f, want above the later %.2f", lead, base)
	}
}

func TestEntityRules(t *testing.T) {
	tg := newTagger(t)
	type ent struct{ text, typ, country string }
	tests := []struct {
		name string
		text string
		want []ent
		not  []string
	}{
		{"role before name and affiliation", "Senior rates strategist Tomas Varga at Northgate Capital Markets said Beijing may respond.",
			[]ent{{"Tomas Varga", "PERSON", ""}, {"Northgate Capital Markets", "ORG", ""}, {"Beijing", "GOV", "CN"}}, nil},
		{"apposition", "Lena Okafor, chief economist at Meridian Research, said the tariffs would hurt.",
			[]ent{{"Lena Okafor", "PERSON", ""}, {"Meridian Research", "ORG", ""}}, nil},
		{"said X and surname back-reference", "The duties are a mistake, said Pavel Sorin. Sorin added that talks should resume.",
			[]ent{{"Pavel Sorin", "PERSON", ""}, {"Sorin", "PERSON", ""}}, nil},
		{"capital as place is not a government", "Delegates met in Beijing on Monday while Washington weighed new curbs.",
			[]ent{{"Washington", "GOV", "US"}}, []string{"Beijing"}},
		{"dateline is not a government", "WASHINGTON (Reuters) - The Commerce Department added firms to the Entity List.",
			[]ent{{"Commerce Department", "GOV", "US"}}, []string{"WASHINGTON"}},
		{"pronoun us is not the US", "Let us talk about trade with China, the U.S. envoy said.",
			nil, []string{"us"}},
		{"country prefix makes a ministry", "Japan's foreign ministry protested the Chinese export ban.",
			[]ent{{"Japan's foreign ministry", "GOV", "JP"}}, nil},
		{"state media and platforms", "Xinhua and the Global Times posted on Weibo that the U.S. should cancel tariffs.",
			[]ent{{"Xinhua", "MEDIA", "CN"}, {"Global Times", "MEDIA", "CN"}, {"Weibo", "MEDIA", "CN"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tags := tg.Tag("", tc.text)
			for _, w := range tc.want {
				ok := false
				for _, e := range tags.Entities {
					if e.Text == w.text && e.Type == w.typ && (w.country == "" || e.Country == w.country) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("missing %+v in %+v", w, tags.Entities)
				}
			}
			for _, n := range tc.not {
				for _, e := range tags.Entities {
					if e.Text == n {
						t.Errorf("unexpected entity %+v", e)
					}
				}
			}
			for _, e := range tags.Entities {
				if tc.text[e.Start:e.End] != e.Text {
					t.Errorf("offsets of %q wrong", e.Text)
				}
			}
		})
	}
}

func TestCountriesAndRelevance(t *testing.T) {
	tg := newTagger(t)
	tests := []struct {
		name      string
		text      string
		countries string
		relevant  bool
		dir       string
	}{
		{"trade dispute", "The United States raised tariffs on Chinese goods. China retaliated with duties on American soybeans. Beijing said Washington was to blame.",
			"CN,US", true, event.DirectionEscalation},
		{"truce", "China and the United States agreed to a truce and cut tariffs. Beijing and Washington signed the trade deal on Friday.",
			"CN,US", true, event.DirectionDeescalation},
		{"sports teams are not states", "China beat the United States 3-1 in the volleyball final. The team scored 25 points in the last set and won the championship match.",
			"", false, ""},
		{"one state", "China's economy grew 5 percent, the statistics bureau said. Chinese exports rose in March.",
			"CN", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tags := tg.Tag("", tc.text)
			if got := strings.Join(tags.Countries, ","); got != tc.countries {
				t.Errorf("countries = %q, want %q", got, tc.countries)
			}
			if tags.Relevant != tc.relevant {
				t.Errorf("relevant = %v, want %v", tags.Relevant, tc.relevant)
			}
			if tc.dir != "" && (len(tags.Dyads) == 0 || tags.Dyads[0].Direction != tc.dir) {
				t.Errorf("dyads = %+v, want %s", tags.Dyads, tc.dir)
			}
		})
	}
}

func TestNewRejectsBadDataIsCovered(t *testing.T) {
	// New validates the embedded data; the error names the file and line.
	err := (&lineErr{file: "cues.tsv", line: 7, err: errBad}).Error()
	if !strings.Contains(err, "cues.tsv:7") {
		t.Errorf("error %q lacks file:line", err)
	}
}
