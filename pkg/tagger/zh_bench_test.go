package tagger

import (
	"math/rand"
	"testing"
)

func zhBenchArticles() ([]string, int) {
	r := rand.New(rand.NewSource(1))
	var arts []string
	total := 0
	for i := 0; i < 64; i++ {
		a := zhSynthArticle(r)
		if i%2 == 1 {
			a = toTraditionalish(a)
		}
		arts = append(arts, a)
		total += len(a)
	}
	return arts, total
}

// BenchmarkTagZH measures the whole tagger on synthetic Chinese articles
// (half of them with Traditional characters), language detection included.
func BenchmarkTagZH(b *testing.B) {
	tg := newTagger(b)
	arts, total := zhBenchArticles()
	runBench(b, arts, total, func(a string) { tg.Tag("", a) })
}

// BenchmarkTokenizeZH measures the Chinese tokenizer with the
// Traditional → Simplified folding.
func BenchmarkTokenizeZH(b *testing.B) {
	tg := newTagger(b)
	arts, total := zhBenchArticles()
	var ts tokens
	runBench(b, arts, total, func(a string) {
		ts.toks, ts.norm = ts.toks[:0], ts.norm[:0]
		tg.zh.tokenize(&ts, a, 0)
	})
}
