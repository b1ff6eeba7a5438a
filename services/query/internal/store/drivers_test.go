package store

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCueContext(t *testing.T) {
	text := "Talks stalled. Washington raised tariffs on Chinese steel, officials said! Beijing vowed to respond."
	tests := []struct {
		name               string
		cue                string
		start, end         int
		before, match, aft string
		wantNil            bool
	}{
		{"middle sentence", "raised tariffs", 26, 40, "Washington ", "raised tariffs", " on Chinese steel, officials said!", false},
		{"first sentence", "Talks", 0, 5, "", "Talks", " stalled.", false},
		{"last sentence", "respond", 92, 99, "Beijing vowed to ", "respond", ".", false},
		{"offsets past the end", "x", 95, 200, "", "", "", true},
		{"text differs", "imposed sanctions", 26, 40, "", "", "", true},
		{"empty span", "", 10, 10, "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cueContext(text, tt.cue, tt.start, tt.end)
			if tt.wantNil {
				if c != nil {
					t.Fatalf("want nil, got %+v", c)
				}
				return
			}
			if c == nil || c.Before != tt.before || c.Match != tt.match || c.After != tt.aft {
				t.Fatalf("got %+v", c)
			}
		})
	}
	// Multi-byte text: cuts stay on rune boundaries.
	if c := cueContext("日本と中国。関税を引き上げた。", "関税", 18, 24); c == nil || c.Match != "関税" {
		t.Fatalf("utf-8: %+v", c)
	}
}

// substring is ClickHouse's substring(s, lo + 1, n) on bytes.
func substring(s string, lo, n int) string {
	if lo >= len(s) {
		return ""
	}
	return s[lo:min(lo+n, len(s))]
}

// TestCueContextFromWindowEqualsFullText: the context cut from a cue's
// window of the text (what Drivers reads) is the one cut from the whole
// text, for cues anywhere in long texts with multi-byte runes and
// sentences of every length, and for offsets that do not fit.
func TestCueContextFromWindowEqualsFullText(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	words := []string{"tariffs ", "関税 ", "raised ", "é", "x", "Washington ", "  "}
	stops := []string{". ", "! ", "\n", "?"}
	for n := range 5000 {
		var sb strings.Builder
		for sb.Len() < 50+r.IntN(3000) {
			if r.IntN(200) == 0 { // sentences of every length, many past maxContext
				sb.WriteString(stops[r.IntN(len(stops))])
			}
			sb.WriteString(words[r.IntN(len(words))])
		}
		text := sb.String()
		start := r.IntN(len(text) + 10)
		end := start + 1 + r.IntN(20)
		cue := ""
		if end <= len(text) {
			cue = text[start:end]
		}
		c := Cue{Text: cue, StartOffset: uint32(start), EndOffset: uint32(end)}
		starts, lens := windows([]Cue{c})
		lo := int(starts[0])
		got := cueContext(substring(text, lo, int(lens[0])), cue, start-lo, end-lo)
		want := cueContext(text, cue, start, end)
		if (got == nil) != (want == nil) || (got != nil && *got != *want) {
			t.Fatalf("case %d: cue [%d,%d) of %d bytes: from window %+v, from text %+v", n, start, end, len(text), got, want)
		}
	}
	if s, l := windows([]Cue{{Sentence: -1, StartOffset: 3, EndOffset: 5}}); len(s) != 0 || len(l) != 0 {
		t.Fatalf("a title cue has a window of the text: %v %v", s, l)
	}
}
