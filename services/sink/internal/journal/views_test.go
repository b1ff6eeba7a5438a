package journal

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
)

// An article counted under the version that is its current one writes each
// contribution once, in both views (InCurrent); a version that arrives
// below the current one is written in its own view only, and what a
// recount takes out of the current view is written in the current view
// only.
func TestArticleRowsInBothViewsOnce(t *testing.T) {
	b := NewBuilder()
	priors := map[string]*Prior{}
	b.Count(article("a", "v2", t0, esc(0.5)), priors)
	b.Count(article("a", "v1", t0, esc(0.3)), priors) // older: its own view only
	b.Count(article("b", "v1", t0), priors)
	b.Count(article("b", "v2", t0), priors) // recount: v1 out of the current view
	type view struct {
		id, version string
		inCurrent   bool
	}
	got := map[view]int{}
	for _, r := range b.Rows("blk") {
		if r.Kind != KindArticle {
			continue
		}
		if r.TaggerVersion == CurrentView && r.InCurrent {
			t.Errorf("row %+v: the current view marked in the current view too", r)
		}
		got[view{r.Key, r.TaggerVersion, r.InCurrent}]++
	}
	// Each count is the article's contributions: "*", its language cell and
	// the marker, and two (pair and cell) per dyad.
	want := map[view]int{
		{"a", "v2", true}: 5, {"a", "v1", false}: 5,
		{"b", "v1", true}: 3, {"b", "", false}: 3, {"b", "v2", true}: 3,
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%+v: %d rows, want %d", k, got[k], n)
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%+v: %d unexpected rows", k, n)
		}
	}
}

// A block's article rows, read in either form — each contribution in both
// views at once (InCurrent) or once per view as journals before migration
// 0013 hold them — imply the same buckets, rollups and compensation.
func TestBothFormsImplyTheSame(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 0))
	for round := range 30 {
		b := NewBuilder()
		priors := map[string]*Prior{}
		var counted []*event.Enriched
		for range 60 {
			e := randomTagged(r, []string{"v1", "v2", "v3"}[r.IntN(3)])
			b.Count(e, priors)
			counted = append(counted, e)
		}
		rows := b.Rows("0000000003-r")
		articles, ranges := articlesAndRanges(rows)
		legacy := legacyForm(articles)
		if len(legacy) <= len(articles) {
			t.Fatalf("round %d: %d article rows, %d in the legacy form: nothing was in both views", round, len(articles), len(legacy))
		}
		if g, w := total(BucketRows(articles)), total(BucketRows(legacy)); !sameParts(g, w) {
			t.Fatalf("round %d: the buckets of the two forms differ", round)
		}
		// The raw tables keep a version's first tags: a duplicate counts nothing.
		tags := map[VersionRef]*Tags{}
		for _, e := range counted {
			if ref := (VersionRef{e.ArticleID, e.TaggerVersion}); tags[ref] == nil {
				tags[ref] = TagsOf(e)
			}
		}
		if g, w := total(RollupRows(articles, tags)), total(RollupRows(legacy, tags)); !sameParts(g, w) {
			t.Fatalf("round %d: the rollups of the two forms differ", round)
		}
		comp, compLegacy := Compensation("0000000003-r", articles, ranges, tags), Compensation("0000000003-r", legacy, ranges, tags)
		if g, w := total(withoutArticles(comp)), total(withoutArticles(compLegacy)); !sameParts(g, w) {
			t.Fatalf("round %d: the compensations of the two forms differ", round)
		}
		// And the compensation cancels the block it was read from.
		all := total(append(slices.Clone(rows), comp...))
		for k, p := range all {
			if !nearZero(p) {
				t.Fatalf("round %d: %+v: block + compensation = %+v", round, k, p)
			}
		}
	}
}

// legacyForm writes article rows as journals before migration 0013 did:
// one row per view.
func legacyForm(articles []Row) []Row {
	var out []Row
	for _, r := range articles {
		for _, v := range r.Views() {
			c := r
			c.TaggerVersion, c.InCurrent = v, false
			out = append(out, c)
		}
	}
	return out
}

func withoutArticles(rows []Row) []Row {
	return slices.DeleteFunc(slices.Clone(rows), func(r Row) bool { return r.Kind == KindArticle })
}

func sameParts(a, b map[Row]tension.Parts) bool {
	keys := map[Row]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for k := range keys {
		d := a[k]
		d.Add(b[k].Neg())
		if !nearZero(d) {
			return false
		}
	}
	return true
}
