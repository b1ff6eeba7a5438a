package tagger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// The output golden tests pin the tagger's whole JSON output on many inputs,
// one hash per article, so that a pure speed change can be shown to change
// nothing. When an accuracy change alters the output on purpose, rewrite them
// with `go test -run TestOutputGolden -update` and say so in the commit.

// wordSalad builds text from the lexicon's own patterns (names, cue anchors,
// function words) mixed with punctuation, quotes, case changes and line
// breaks: inputs that reach the rules in orders no template does.
func wordSalad(r *rand.Rand, pats []string) string {
	var sb strings.Builder
	n := 40 + r.Intn(120)
	punct := []string{". ", ", ", "; ", ": ", " - ", " “", "” ", " \"", "\" ", "\n\n", "\n", " (", ") ", "’s ", "? ", "! "}
	plain := []string{"the", "a", "on", "with", "said", "will", "not", "that", "it", "to", "against", "by", "and", "after", "may", "he", "she", "according to", "Mr.", "U.S.", "officials", "trade", "tariffs"}
	for i := 0; i < n; i++ {
		var w string
		switch k := r.Intn(10); {
		case k < 5:
			w = pats[r.Intn(len(pats))]
		case k < 8:
			w = plain[r.Intn(len(plain))]
		default:
			sb.WriteString(punct[r.Intn(len(punct))])
			continue
		}
		switch r.Intn(4) {
		case 0:
			w = title(w)
		case 1:
			if len(w) <= 6 {
				w = strings.ToUpper(w)
			}
		}
		sb.WriteString(w)
		sb.WriteByte(' ')
	}
	return sb.String()
}

func goldenInputs(tg *Tagger) [][2]string {
	r := rand.New(rand.NewSource(20240601))
	var in [][2]string
	for i := 0; i < 300; i++ {
		title := ""
		if i%3 == 0 {
			title = synthArticle(r)
			if k := strings.IndexByte(title, '.'); k > 0 {
				title = title[:k]
			}
		}
		in = append(in, [2]string{title, synthArticle(r)})
	}
	for i := 0; i < 300; i++ {
		title := ""
		if i%4 == 0 {
			title = wordSalad(r, tg.lex.patterns)[:40]
		}
		in = append(in, [2]string{title, wordSalad(r, tg.lex.patterns)})
	}
	return in
}

func outputHashes(tg *Tagger, in [][2]string) []byte {
	var buf bytes.Buffer
	for i, a := range in {
		b, err := json.Marshal(tg.Tag(a[0], a[1]))
		if err != nil {
			panic(err)
		}
		h := sha256.Sum256(b)
		fmt.Fprintf(&buf, "%d %s\n", i, hex.EncodeToString(h[:8]))
	}
	return buf.Bytes()
}

func checkHashes(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestOutputGolden -update)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	diff := 0
	for i := range gl {
		if i >= len(wl) || gl[i] != wl[i] {
			if diff < 10 {
				t.Errorf("%s: article %s changed", name, strings.Fields(gl[i] + " ?")[0])
			}
			diff++
		}
	}
	t.Errorf("%s: output of %d articles differs (if intended, run go test -run TestOutputGolden -update)", name, diff)
}

// TestOutputGoldenSynthetic: synthetic news and word salad from the lexicon.
func TestOutputGoldenSynthetic(t *testing.T) {
	tg := newTagger(t)
	checkHashes(t, "synthetic.golden", outputHashes(tg, goldenInputs(tg)))
}

// TestOutputGoldenSamples: the repository's sample articles.
func TestOutputGoldenSamples(t *testing.T) {
	tg := newTagger(t)
	checkHashes(t, "samples.golden", outputHashes(tg, sampleInputs(t)))
}

// title upper-cases the first letter of every word, with the word
// boundaries of the deprecated strings.Title (which made the golden file):
// in ASCII anything but a letter, digit or underscore separates words;
// beyond ASCII only spaces do.
func title(w string) string {
	sep := true
	return strings.Map(func(r rune) rune {
		out := r
		if sep {
			out = unicode.ToTitle(r)
		}
		switch {
		case r <= unicode.MaxASCII:
			sep = !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			sep = false
		default:
			sep = unicode.IsSpace(r)
		}
		return out
	}, w)
}
