//go:build eval

// Checks against the shared labelled corpus, which is not part of the
// repository. They run in `make eval` (go test -tags eval) with the shared
// folder beside the repository or at $TENSION_SHARED, and fail (never skip)
// saying what they need when it is missing.

package tagger

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// sharedDir locates the shared folder: $TENSION_SHARED, or ../shared beside
// the repository root.
func sharedDir(t testing.TB) string {
	t.Helper()
	if s := os.Getenv("TENSION_SHARED"); s != "" {
		if _, err := os.Stat(s); err != nil {
			t.Fatalf("TENSION_SHARED=%s: %v", s, err)
		}
		return s
	}
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Dir(filepath.Dir(filepath.Dir(file))) // <repo>/pkg/tagger/x.go
	s := filepath.Join(repo, "..", "shared")
	if _, err := os.Stat(s); err != nil {
		t.Fatalf("the eval tests need the shared labelled corpus at %s or $TENSION_SHARED: %v", s, err)
	}
	return s
}

// corpusFiles lists the labelled corpus files (corpus/*.jsonl).
func corpusFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(sharedDir(t), "corpus", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus/*.jsonl under %s (%v)", sharedDir(t), err)
	}
	return files
}

// TestGoldenSeed: the seed article's output is pinned by a hash
// (testdata/seed.golden; no corpus text is stored in the repository), and the
// rules it was written to exercise hold.
func TestGoldenSeed(t *testing.T) {
	tg := newTagger(t)
	title, text := readArticle(t, filepath.Join(sharedDir(t), "seeds", "seed-article.txt"))
	tags := tg.Tag(title, text)
	checkOffsets(t, title, text, tags)
	for _, w := range []struct{ text, typ string }{
		{"Yuyuan Tantian", "MEDIA"}, {"Weibo", "MEDIA"}, {"Ministry of Foreign Affairs", "GOV"}, {"Zhaopeng Xing", "PERSON"},
		{"Dong Chen", "PERSON"}, {"ANZ Research", "ORG"}, {"Pictet Wealth Management", "ORG"},
	} {
		found := false
		for _, e := range tags.Entities {
			if strings.Contains(e.Text, w.text) && e.Type == w.typ {
				found = true
			}
		}
		if !found {
			t.Errorf("entity %q %s not found", w.text, w.typ)
		}
	}
	if strings.Join(tags.Countries, ",") != "CN,US" || !tags.Relevant || len(tags.Dyads) == 0 || tags.Dyads[0].Direction != "de-escalation" {
		t.Errorf("countries %v relevant %v dyads %+v, want CN,US relevant de-escalation", tags.Countries, tags.Relevant, tags.Dyads)
	}
	checkHashes(t, "seed.golden", outputHashes(tg, [][2]string{{title, text}}))
}

// TestOutputGoldenCorpus: the whole output on every corpus file, one hash per
// article (testdata/corpus-<file>.golden).
func TestOutputGoldenCorpus(t *testing.T) {
	tg := newTagger(t)
	for _, f := range corpusFiles(t) {
		name := "corpus-" + strings.TrimSuffix(filepath.Base(f), ".jsonl") + ".golden"
		checkHashes(t, name, outputHashes(tg, readJSONL(t, f)))
	}
}

func TestTokenizeSameCorpus(t *testing.T) {
	for _, f := range corpusFiles(t) {
		checkTokenizeSame(t, readJSONL(t, f))
	}
}

func TestWordMatcherSameCorpus(t *testing.T) {
	tg := newTagger(t)
	total := 0
	for _, f := range corpusFiles(t) {
		total += checkWordMatcherSame(t, tg, readJSONL(t, f))
	}
	if total < 10000 {
		t.Errorf("only %d matches checked", total)
	}
}

// BenchmarkTagCorpus runs the tagger on the texts of each corpus file.
func BenchmarkTagCorpus(b *testing.B) {
	tg := newTagger(b)
	for _, f := range corpusFiles(b) {
		b.Run(strings.TrimSuffix(filepath.Base(f), ".jsonl"), func(b *testing.B) {
			var arts []string
			total := 0
			for _, a := range readJSONL(b, f) {
				arts = append(arts, a[1])
				total += len(a[1])
			}
			runBench(b, arts, total, func(a string) { tg.Tag("", a) })
		})
	}
}
