package journal

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
)

// randomArticle is an article with 0-2 dyads whose cues come from random
// sides and speakers, in a random language.
func randomArticle(r *rand.Rand, id, version string) *event.Enriched {
	pairs := []string{"CN-US", "EU-US", "CN-JP"}
	types := []string{"GOV", "MEDIA", "ANALYST", "ORG", "NEWS", "ANON", "PERSON"}
	sources := []string{"Xinhua", "Reuters", "", "state media"}
	langs := []string{"en", "zh", "", "fr"}
	dirs := []string{event.DirectionEscalation, event.DirectionDeescalation, event.DirectionMixed, event.DirectionNeutral}
	e := article(id, version, t0.Add(time.Duration(r.IntN(72*60))*time.Minute))
	e.Lang = langs[r.IntN(len(langs))]
	for _, p := range r.Perm(len(pairs))[:r.IntN(3)] {
		d := event.Dyad{Pair: pairs[p], Tension: r.Float64()*2 - 1, Direction: dirs[r.IntN(len(dirs))]}
		a, b := d.Pair[:2], d.Pair[3:]
		for k := r.IntN(4); k > 0; k-- {
			actor := a
			if r.IntN(2) == 0 {
				actor = b
			}
			d.Cues = append(d.Cues, event.Cue{Actor: actor, SourceType: types[r.IntN(len(types))],
				Source: sources[r.IntN(len(sources))], Weight: float64(1 + r.IntN(8))})
		}
		e.Dyads = append(e.Dyads, d)
	}
	return e
}

// TestCellsAddUpToBuckets is the split's property: in every granularity,
// view and bucket, a pair's cell rows sum to its bucket row (the "*" pair's
// language cells to its article count), in a block with new articles,
// recounts and older versions, and in that block plus its compensation
// (which cancels cells with everything else).
func TestCellsAddUpToBuckets(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 50; trial++ {
		b := NewBuilder()
		for i := 0; i < 40; i++ {
			id := string(rune('a' + i%26))
			var prior *Prior
			if r.IntN(3) == 0 {
				prior = &Prior{Versions: map[string]bool{"v1": true}, Current: Contributions(randomArticle(r, id, "v1"))}
			}
			b.Add(randomArticle(r, id, []string{"v1", "v2", "v3"}[r.IntN(3)]), prior)
		}
		rows := b.Rows("0000000001-x")
		checkCells(t, rows)
		var articles []Row
		for _, row := range rows {
			if row.Kind == KindArticle {
				articles = append(articles, row)
			}
		}
		checkCells(t, Compensation("0000000001-x", articles, nil, nil))
	}
}

func checkCells(t *testing.T, rows []Row) {
	t.Helper()
	type key struct {
		g, pair, version string
		bucket           int64
	}
	buckets, cells := map[key]tension.Parts{}, map[key]tension.Parts{}
	for _, r := range expandViews(rows) {
		k := key{r.Granularity, r.Pair, r.TaggerVersion, r.Bucket.Unix()}
		switch r.Kind {
		case KindBucket:
			p := buckets[k]
			p.Add(r.Parts)
			buckets[k] = p
		case KindCell:
			if _, err := tension.ParseCellKey(r.Key); err != nil {
				t.Fatalf("cell row with key %q: %v", r.Key, err)
			}
			p := cells[k]
			p.Add(r.Parts)
			cells[k] = p
		}
	}
	if len(buckets) != len(cells) {
		t.Fatalf("%d bucket keys, %d cell keys", len(buckets), len(cells))
	}
	for k, p := range buckets {
		c := cells[k]
		c.Add(p.Neg())
		if !nearZero(c) {
			t.Fatalf("%+v: cells differ from the bucket by %+v", k, c)
		}
	}
}
