package tagger

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Tests in `make test` use only the repository's own texts: samples/ (written
// for this project), testdata/ and generated text. The checks against the
// shared labelled corpus live behind the `eval` build tag (shared_test.go)
// and run in `make eval`.

func newTagger(t testing.TB) *Tagger {
	t.Helper()
	tg, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// samplesPath is the repository's sample articles, relative to this package.
var samplesPath = filepath.Join("..", "..", "samples", "articles.jsonl")

// readJSONL reads (title, text) pairs from a JSONL file of articles.
func readJSONL(t testing.TB, path string) [][2]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var in [][2]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var a struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		in = append(in, [2]string{a.Title, a.Text})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if len(in) == 0 {
		t.Fatalf("%s has no articles", path)
	}
	return in
}

// sampleInputs are the repository's sample articles.
func sampleInputs(t testing.TB) [][2]string { return readJSONL(t, samplesPath) }
