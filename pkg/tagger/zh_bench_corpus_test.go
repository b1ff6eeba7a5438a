//go:build eval

package tagger

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkTagZHCorpus runs the tagger on the real Chinese articles of
// ../shared/corpus/zh-dev.jsonl (read at bench time only; `make eval`).
func BenchmarkTagZHCorpus(b *testing.B) {
	tg := newTagger(b)
	f, err := os.Open(filepath.Join(sharedDir(b), "corpus", "zh-dev.jsonl"))
	if err != nil {
		b.Fatalf("corpus: %v", err)
	}
	defer f.Close()
	var arts []string
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var a struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			b.Fatal(err)
		}
		arts = append(arts, a.Text)
		total += len(a.Text)
	}
	runBench(b, arts, total, func(a string) { tg.Tag("", a) })
}
