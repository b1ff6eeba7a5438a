package tagger

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tension-dev/tension/pkg/event"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// seedArticle splits the seed file into its title (first line) and text.
func seedArticle(t *testing.T) (string, string) {
	s := readShared(t, filepath.Join("seeds", "seed-article.txt"))
	title, text, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(title), text
}

func TestGoldenSeed(t *testing.T) {
	tg := newTagger(t)
	title, text := seedArticle(t)
	tags := tg.Tag(title, text)

	type want struct {
		text, typ, country string
	}
	for _, w := range []want{
		{"Yuyuan Tantian", "MEDIA", "CN"},
		{"Weibo", "MEDIA", ""},
		{"Ministry of Foreign Affairs", "GOV", "CN"},
		{"Beijing", "GOV", "CN"},
		{"Washington", "GOV", "US"},
		{"Trump administration", "GOV", "US"},
		{"Zhaopeng Xing", "PERSON", ""},
		{"Dong Chen", "PERSON", ""},
		{"ANZ Research", "ORG", ""},
		{"Pictet Wealth Management", "ORG", ""},
	} {
		found := false
		for _, e := range tags.Entities {
			if strings.Contains(e.Text, w.text) && e.Type == w.typ && (w.country == "" || e.Country == w.country) {
				found = true
			}
		}
		if !found {
			t.Errorf("entity %q %s %s not found", w.text, w.typ, w.country)
		}
	}
	for _, e := range tags.Entities {
		if text[e.Start:e.End] != e.Text {
			t.Errorf("entity %q has offsets %d:%d giving %q", e.Text, e.Start, e.End, text[e.Start:e.End])
		}
	}
	if strings.Join(tags.Countries, ",") != "CN,US" {
		t.Errorf("countries = %v, want [CN US]", tags.Countries)
	}
	if !tags.Relevant {
		t.Error("not relevant")
	}
	var dy *event.Dyad
	for i := range tags.Dyads {
		if tags.Dyads[i].Pair == "CN-US" {
			dy = &tags.Dyads[i]
		}
	}
	if dy == nil {
		t.Fatalf("no CN-US dyad in %+v", tags.Dyads)
	}
	if dy.Direction != event.DirectionDeescalation || dy.Tension >= 0 {
		t.Errorf("CN-US = %s %.2f, want de-escalation", dy.Direction, dy.Tension)
	}
	cue := func(sub string, sentence string) *event.Cue {
		for i := range dy.Cues {
			c := &dy.Cues[i]
			if strings.Contains(c.Text, sub) && c.Sentence >= 0 && (sentence == "" || sentenceHas(text, c, sentence)) {
				return c
			}
		}
		return nil
	}
	if c := cue("reached out", ""); c == nil {
		t.Error(`no "reached out" cue`)
	} else if c.Actor != "US" || c.Target != "CN" || c.Polarity != -1 || !c.Hedged || c.SourceType != "MEDIA" || c.Weight <= 0 {
		t.Errorf(`"reached out" = %+v, want US->CN de-escalation, hedged, sourced to MEDIA`, *c)
	}
	if c := cue("never kneel down", ""); c == nil {
		t.Error(`no "never kneel down" cue`)
	} else if c.Actor != "CN" || c.Target != "US" || c.Polarity != 1 || c.Negated || c.Weight <= 0 {
		t.Errorf(`"never kneel down" = %+v, want firm CN->US escalation`, *c)
	}
	if c := cue("raised tariffs", ""); c == nil {
		t.Error(`no "raised tariffs" cue`)
	} else if !c.Background || c.Polarity != 1 {
		t.Errorf(`"raised tariffs" = %+v, want background escalation`, *c)
	}
	for _, c := range dy.Cues {
		if sentenceHas(text, &c, "Neither economist") && c.Polarity < 0 && c.Weight > 0 {
			t.Errorf("%q gives de-escalation credit: %+v", c.Text, c)
		}
	}

	// the whole output, refreshed with -update
	got, err := json.MarshalIndent(tags, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "seed.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantJSON, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenSeed -update)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(wantJSON)) {
		t.Errorf("output differs from %s (if intended, run go test -run TestGoldenSeed -update and review the diff)", golden)
	}
}

// sentenceHas tells whether the text around cue c (its line) contains s.
func sentenceHas(text string, c *event.Cue, s string) bool {
	a := strings.LastIndexAny(text[:c.Start], ".\n")
	b := strings.IndexAny(text[c.End:], ".\n")
	if b < 0 {
		b = len(text) - c.End
	}
	return strings.Contains(text[a+1:c.End+b], s)
}
