package tagger

import (
	"context"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzTag: the tagger never panics, never exceeds its work budget, every entity's offsets give its text,
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
		tags, err := tg.TagContext(context.Background(), title, text)
		if err != nil {
			t.Fatalf("TagContext: %v (no legal text may exceed the work budget)", err)
		}
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

// FuzzTokenize: tokens are in order, inside the text, never overlap, and
// each token's normalised text is where it says; sentences never go back.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"U.S.-China", "it's Xi’s", "A&B 1,000.5", "É\u00a0x\v\fy", "\xff'", "“Yes,” he said. No!", "a-b-c-", "……——", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var ts tokens
		ts.tokenize(s, 0)
		ts.splitSentences(0, 0)
		end, sent := int32(0), int32(0)
		for i, tk := range ts.toks {
			if tk.start < end || tk.end < tk.start || int(tk.end) > len(s) || tk.ns < 0 || tk.ne < tk.ns || int(tk.ne) > len(ts.norm) {
				t.Fatalf("token %d %+v out of order or out of range (text %d bytes, norm %d)", i, tk, len(s), len(ts.norm))
			}
			if tk.sent < sent {
				t.Fatalf("token %d: sentence %d after %d", i, tk.sent, sent)
			}
			end, sent = tk.end, tk.sent
		}
	})
}

// FuzzAttribution: the invariants attribution relies on hold on any text:
// the state references of a sentence are in token order, each once, and the
// people are listed by first token.
func FuzzAttribution(f *testing.F) {
	for _, s := range []string{
		"China's Ministry of Commerce and Japan's foreign ministry said the U.S. Trade Representative raised tariffs.",
		"Washington, Beijing and Tokyo; President Xi Jinping met Donald Trump, said analyst Ana Ruiz at Delta Research.",
	} {
		f.Add(s)
	}
	tg, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1<<16 {
			return
		}
		d := &doc{lex: tg.lex}
		d.reset("", text)
		d.budget = 1 << 62
		d.run()
		toks := d.ts.toks
		for a := 0; a < len(toks); {
			_, b := d.sentRange(a)
			refs := d.stateRefs(a, b, nil)
			for i := 1; i < len(refs); i++ {
				if refs[i].tok <= refs[i-1].tok {
					t.Fatalf("refs of sentence %d-%d not in token order: %+v", a, b, refs)
				}
			}
			a = b
		}
		for i := 1; i < len(d.persons); i++ {
			if d.ments[d.persons[i]].t0 <= d.ments[d.persons[i-1]].t0 {
				t.Fatalf("persons not by first token")
			}
		}
		if lim := int64(minWork) + 4*int64(len(text)); d.work > lim {
			t.Fatalf("work %d for %d bytes, over %d", d.work, len(text), lim)
		}
	})
}
