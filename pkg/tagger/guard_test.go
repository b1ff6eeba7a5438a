package tagger

import (
	"context"
	"errors"
	"math/rand"
	"strings"
	"testing"
)

// workOf runs the tagger on text without a budget and returns the units of
// work it counted.
func workOf(tg *Tagger, title, text string) int64 {
	d := &doc{lex: tg.lex}
	d.reset(title, text)
	d.budget = 1 << 62
	d.run()
	return d.work
}

// TestWorkBudgetHolds: the adversarial texts and news need well under the
// default budget (a quarter of it at most), so that no legal article hits
// it; the work counted grows with the text, not faster.
func TestWorkBudgetHolds(t *testing.T) {
	tg := newTagger(t)
	samples := sampleInputs(t)
	const n = 64 << 10
	gens := append([]advGen{{"news", func(_ *rand.Rand, _ *lexicon, news [][2]string, n int) string { return newsText(news, n) }}}, advGens...)
	for _, g := range gens {
		small := g.gen(rand.New(rand.NewSource(1)), tg.lex, samples, n)
		large := g.gen(rand.New(rand.NewSource(1)), tg.lex, samples, 4*n)
		ws, wl := float64(workOf(tg, "", small))/float64(len(small)), float64(workOf(tg, "", large))/float64(len(large))
		t.Logf("%-45s %5.1f units per byte at 256 KB, %5.1f at 64 KB", g.name, wl, ws)
		if wl > DefaultWorkPerByte/4 {
			t.Errorf("%s: %.1f units of work per byte, more than a quarter of the default budget (%d)", g.name, wl, DefaultWorkPerByte)
		}
		if wl > 1.25*ws+1 {
			t.Errorf("%s: %.1f units per byte at 256 KB but %.1f at 64 KB: work grows faster than the text", g.name, wl, ws)
		}
		if _, err := tg.TagContext(context.Background(), "", large); err != nil {
			t.Errorf("%s: %v", g.name, err)
		}
	}
}

// TestWorkBudgetExceeded: an article over its budget gets no tags and an
// error that wraps ErrWorkBudget; the next article is tagged normally.
func TestWorkBudgetExceeded(t *testing.T) {
	tg, err := NewWithOptions(Options{WorkPerByte: 1})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("Washington raised tariffs on Chinese goods and Beijing vowed to retaliate. ", 2000)
	tags, err := tg.TagContext(context.Background(), "", text)
	if !errors.Is(err, ErrWorkBudget) {
		t.Fatalf("err = %v, want ErrWorkBudget", err)
	}
	if len(tags.Entities) != 0 || len(tags.Dyads) != 0 || tags.Relevant {
		t.Errorf("tags over budget = %+v, want none", tags)
	}
	if tags := tg.Tag("", text); len(tags.Dyads) != 0 {
		t.Errorf("Tag over budget gave dyads")
	}
	short := "Washington raised tariffs on Chinese goods."
	tags, err = tg.TagContext(context.Background(), "", short)
	if err != nil || len(tags.Dyads) == 0 {
		t.Errorf("short article after an over-budget one: %+v, %v", tags, err)
	}
	if _, err := NewWithOptions(Options{WorkPerByte: -1}); err == nil {
		t.Error("negative WorkPerByte accepted")
	}
}

// TestTagContextCanceled: a done context stops tagging with its error.
func TestTagContextCanceled(t *testing.T) {
	tg := newTagger(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tags, err := tg.TagContext(ctx, "", "Washington raised tariffs on Chinese goods.")
	if !errors.Is(err, context.Canceled) || len(tags.Dyads) != 0 {
		t.Fatalf("TagContext(canceled) = %+v, %v", tags, err)
	}
	if tags, err := tg.TagContext(context.Background(), "", "Washington raised tariffs on Chinese goods."); err != nil || len(tags.Dyads) == 0 {
		t.Fatalf("after a canceled call: %+v, %v", tags, err)
	}
}
