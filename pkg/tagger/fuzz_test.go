package tagger

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzTag: the tagger never panics, every entity's offsets give its text,
// every text cue's offsets give its text, the output is valid JSON and every
// tension is in [-1, 1].
func FuzzTag(f *testing.F) {
	for _, s := range []string{
		"Washington raised tariffs on Chinese goods, and Beijing said it would never kneel down.",
		"WASHINGTON (Reuters) - U.S. officials reached out to China’s Ministry of Commerce.",
		"“China never said that it won’t negotiate,” said Dong Chen, chief Asia strategist at Pictet.",
		"U.S.-China talks", "U.S.", "'s", "’", "—", "A.", "Co.", "", "\n\n\n", "é’s“", "\xff\xfe",
	} {
		f.Add("", s)
		f.Add(s, s)
	}
	tg, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, title, text string) {
		if len(text) > 1<<16 || len(title) > 1<<12 {
			return
		}
		tags := tg.Tag(title, text)
		for _, e := range tags.Entities {
			if e.Start < 0 || e.End > len(text) || e.Start > e.End || text[e.Start:e.End] != e.Text {
				t.Fatalf("entity %+v: bad offsets for text of %d bytes", e, len(text))
			}
		}
		for _, d := range tags.Dyads {
			if d.Tension < -1 || d.Tension > 1 {
				t.Fatalf("tension %v out of range", d.Tension)
			}
			for _, c := range d.Cues {
				src := text
				if c.Sentence < 0 {
					src = title
				}
				if c.Start < 0 || c.End > len(src) || c.Start > c.End || src[c.Start:c.End] != c.Text {
					t.Fatalf("cue %+v: bad offsets", c)
				}
			}
		}
		b, err := json.Marshal(tags)
		if err != nil || !json.Valid(b) {
			t.Fatalf("invalid JSON: %v", err)
		}
		if utf8.ValidString(text) && !utf8.Valid(b) {
			t.Fatalf("output not UTF-8")
		}
	})
}
