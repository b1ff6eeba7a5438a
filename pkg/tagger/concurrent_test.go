package tagger

import (
	"encoding/json"
	"sync"
	"testing"
)

// TestConcurrentTag: one Tagger used by many goroutines gives each the same
// output as a lone call (run with -race).
func TestConcurrentTag(t *testing.T) {
	tg := newTagger(t)
	texts := []string{
		"Washington raised tariffs on Chinese goods. Beijing vowed to retaliate against the U.S.",
		"China and the United States agreed to a truce and cut tariffs, said Ana Ruiz, an economist at Delta Research.",
		"Japan's foreign ministry protested the export ban.",
	}
	want := make([]string, len(texts))
	for i, s := range texts {
		b, _ := json.Marshal(tg.Tag("", s))
		want[i] = string(b)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 50; k++ {
				i := (g + k) % len(texts)
				b, _ := json.Marshal(tg.Tag("", texts[i]))
				if string(b) != want[i] {
					t.Errorf("goroutine %d: output differs for text %d", g, i)
					return
				}
			}
		}()
	}
	wg.Wait()
}
