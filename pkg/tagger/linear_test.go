//go:build !race && unix

// The timing and memory tests are built without the race detector, whose
// instrumentation changes the relative cost of the tagger's phases; `make
// test` runs them in a build of their own (Makefile, test-unit).

package tagger

import (
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/testenv"
)

// linearSize is the size of the texts compared: ingest's article limit.
const linearSize = 1 << 20

// maxSlowdown is how much slower per MB than ordinary news any legal text
// may be tagged. The adversarial texts run at 2-3x; the limit leaves room
// for a loaded machine (CPU time per byte swings with other programs'
// cache use, and news got faster with each round of tuning, which raises
// every ratio), while a quadratic step shows as 10-100x at 1 MB.
const maxSlowdown = 5.0

// maxGrowth is how much more per byte 1 MB of a text may cost than 256 KB
// of it: 1 for linear time, 4 for quadratic (n log n and cache effects take
// Chinese text to ~1.4). Texts that cost less than half of news per byte
// are left out: their few CPU ticks make the ratio noise, and maxSlowdown
// bounds them at ingest's size limit anyway.
const maxGrowth = 2.0

// timeTag returns the least CPU time of runs taggings of text.
func timeTag(tg *Tagger, text string, runs int) time.Duration {
	best := time.Duration(1 << 62)
	for i := 0; i < runs; i++ {
		t0 := testenv.SelfCPU()
		tg.Tag("", text)
		if d := testenv.SelfCPU() - t0; d < best {
			best = d
		}
	}
	return best
}

// TestLinearTime: every adversarial generator's text of 1 MB is tagged at
// most maxSlowdown times slower per byte than 1 MB of ordinary news (the
// sample articles one after the other), and at most maxGrowth times slower
// per byte than 256 KB of the same generator's text, measured side by side
// in one run, best of a few runs each, so that a busy machine slows both
// alike. A ratio above a limit is measured again with more runs before it
// fails.
func TestLinearTime(t *testing.T) {
	tg := newTagger(t)
	samples := sampleInputs(t)
	news := newsText(samples, linearSize)
	perByte := func(text string, runs int) float64 {
		return float64(timeTag(tg, text, runs)) / float64(len(text))
	}
	for _, g := range advGens {
		text := g.gen(rand.New(rand.NewSource(1)), tg.lex, samples, linearSize)
		quarter := g.gen(rand.New(rand.NewSource(1)), tg.lex, samples, linearSize/4)
		ratio, growth := 0.0, 0.0
		for _, runs := range []int{5, 15} {
			base := min(perByte(news, runs), perByte(news, 1)) // before and after
			large := perByte(text, runs)
			ratio, growth = large/base, large/perByte(quarter, 4*runs)
			if ratio < 0.5 {
				growth = 0 // too cheap to time at 256 KB (see maxGrowth)
			}
			if ratio <= maxSlowdown && growth <= maxGrowth {
				break
			}
		}
		t.Logf("%-45s %5.2fx news per byte (news %.1f ns/B), %4.2fx its 256 KB per byte", g.name, ratio, perByte(news, 3), growth)
		if ratio > maxSlowdown {
			t.Errorf("%s: %.1fx slower per byte than news text (limit %.0fx)", g.name, ratio, maxSlowdown)
		}
		if growth > maxGrowth {
			t.Errorf("%s: 1 MB costs %.2fx per byte what 256 KB does (limit %.1fx): time grows faster than the text", g.name, growth, maxGrowth)
		}
	}
}

// TestLinearMemory: tagging allocates a bounded number of bytes per input
// byte on every adversarial text (a fresh tagger, so nothing is reused), and
// the same per byte at 256 KB and at 1 MB.
func TestLinearMemory(t *testing.T) {
	const maxPerByte = 160
	lex := newTagger(t).lex
	samples := sampleInputs(t)
	allocs := func(text string) float64 {
		tg := newTagger(t)
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		tg.Tag("", text)
		runtime.ReadMemStats(&b)
		return float64(b.TotalAlloc-a.TotalAlloc) / float64(len(text))
	}
	gens := append([]advGen{{"news", func(_ *rand.Rand, _ *lexicon, news [][2]string, n int) string { return newsText(news, n) }}}, advGens...)
	for _, g := range gens {
		small := allocs(g.gen(rand.New(rand.NewSource(1)), lex, samples, linearSize/4))
		large := allocs(g.gen(rand.New(rand.NewSource(1)), lex, samples, linearSize))
		t.Logf("%-45s %6.1f bytes allocated per input byte at 1 MB, %6.1f at 256 KB", g.name, large, small)
		if large > maxPerByte {
			t.Errorf("%s: %.0f bytes allocated per input byte (limit %d)", g.name, large, maxPerByte)
		}
		if large > 1.5*small+8 {
			t.Errorf("%s: %.1f bytes per input byte at 1 MB but %.1f at 256 KB: memory grows faster than the text", g.name, large, small)
		}
	}
}

// BenchmarkAdversarial tags each adversarial text of 1 MB (and news).
func BenchmarkAdversarial(b *testing.B) {
	tg := newTagger(b)
	samples := sampleInputs(b)
	gens := append([]advGen{{"news", func(_ *rand.Rand, _ *lexicon, news [][2]string, n int) string { return newsText(news, n) }}}, advGens...)
	for _, g := range gens {
		text := g.gen(rand.New(rand.NewSource(1)), tg.lex, samples, linearSize)
		b.Run(strings.ReplaceAll(g.name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				tg.Tag("", text)
			}
		})
	}
}
