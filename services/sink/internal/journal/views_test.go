package journal

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

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
	// Each count is the article's contributions: "*" (in its language
	// cell, with the marker), and one (in its cell) per dyad.
	want := map[view]int{
		{"a", "v2", true}: 2, {"a", "v1", false}: 2,
		{"b", "v1", true}: 1, {"b", "", false}: 1, {"b", "v2", true}: 1,
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

// A block's article rows, read in any form — each contribution in both
// views at once (InCurrent) or once per view as journals before migration
// 0013 hold them, in its cell and marker at once (Cell, Marker) or with a
// row of its own for each as journals before migrations 0015 and 0016 hold
// them — imply the same buckets, rollups and compensation.
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
		cells := ownRowsForm(articles)
		if len(cells) <= len(articles) {
			t.Fatalf("round %d: %d article rows, %d with cell and marker rows of their own: nothing was in a cell", round, len(articles), len(cells))
		}
		// The raw tables keep a version's first tags: a duplicate counts nothing.
		tags := map[VersionRef]*Tags{}
		for _, e := range counted {
			if ref := (VersionRef{e.ArticleID, e.TaggerVersion}); tags[ref] == nil {
				tags[ref] = TagsOf(e)
			}
		}
		for _, other := range []struct {
			name string
			rows []Row
		}{{"one row per view", legacy}, {"cell and marker rows", cells}, {"both", legacyForm(cells)}} {
			checkSameImplied(t, fmt.Sprintf("round %d, %s", round, other.name), articles, other.rows, ranges, tags)
		}
		comp := Compensation("0000000003-r", articles, ranges, tags)
		// And the compensation cancels the block it was read from.
		all := total(append(slices.Clone(rows), comp...))
		for k, p := range all {
			if !nearZero(p) {
				t.Fatalf("round %d: %+v: block + compensation = %+v", round, k, p)
			}
		}
	}
}

// checkSameImplied fails unless article rows in another form (other) imply
// the same buckets, rollups and compensation as articles, and the
// compensations' article rows stand for the same contributions. tags are
// the raw tables' tags of the versions the rows count.
func checkSameImplied(t *testing.T, name string, articles, other, ranges []Row, tags map[VersionRef]*Tags) {
	t.Helper()
	if g, w := total(BucketRows(articles)), total(BucketRows(other)); !sameParts(g, w) {
		t.Fatalf("%s: the buckets differ", name)
	}
	if g, w := total(RollupRows(articles, tags)), total(RollupRows(other, tags)); !sameParts(g, w) {
		t.Fatalf("%s: the rollups differ", name)
	}
	comp, compOther := Compensation("0000000003-r", articles, ranges, tags), Compensation("0000000003-r", other, ranges, tags)
	if g, w := total(withoutArticles(comp)), total(withoutArticles(compOther)); !sameParts(g, w) {
		t.Fatalf("%s: the compensations differ", name)
	}
	onlyArticles := func(rows []Row) []Row {
		return slices.DeleteFunc(slices.Clone(rows), func(r Row) bool { return r.Kind != KindArticle })
	}
	if g, w := total(legacyForm(ownRowsForm(onlyArticles(comp)))), total(legacyForm(ownRowsForm(onlyArticles(compOther)))); !sameParts(g, w) {
		t.Fatalf("%s: the compensations' article rows differ", name)
	}
}

// ownRowsForm writes article rows as journals before migrations 0015 and
// 0016 did: a row of its own for each cell and marker (Row.OwnRows).
func ownRowsForm(articles []Row) []Row {
	var out []Row
	for _, r := range articles {
		out = append(out, r.OwnRows()...)
	}
	return out
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

// A recount takes the old version out of the current view alike whether
// the journal holds its article rows with their cells and marker
// (migrations 0015 and 0016) or with a row of their own for each, as
// journals before them do: the prior read in either form gives the same
// bucket, cell and rollup rows and the same pointer.
func TestRecountOfEitherCellForm(t *testing.T) {
	first := NewBuilder()
	first.Add(article("a", "v1", t0, esc(0.5)), nil)
	var current []Row
	for _, r := range first.Rows("b1") {
		if r.Kind == KindArticle && slices.Contains(r.Views(), CurrentView) {
			current = append(current, r)
		}
	}
	priorOf := func(rows []Row) *Prior {
		p := &Prior{Versions: map[string]bool{"v1": true}}
		for _, r := range rows {
			p.Current = append(p.Current, Contribution{Pair: r.Pair, Bucket: r.Bucket, Cell: r.Cell, Marker: r.Marker, Parts: r.Parts})
		}
		return p
	}
	deesc := event.Dyad{Pair: "CN-US", Tension: -0.4, Direction: event.DirectionDeescalation}
	var got [2][]Row
	var pointers [2][]Pointer
	for i, rows := range [][]Row{current, ownRowsForm(current)} {
		b := NewBuilder()
		if o := b.Add(article("a", "v2", t0.Add(time.Hour), deesc), priorOf(rows)); o != Recounted {
			t.Fatalf("outcome %v, want Recounted", o)
		}
		b.Retract(tagsOf(article("a", "v1", t0, esc(0.5))))
		got[i] = withoutArticles(b.Rows("b2"))
		pointers[i] = b.Pointers()
	}
	if len(pointers[0]) == 0 || !reflect.DeepEqual(pointers[0], pointers[1]) {
		t.Fatalf("pointers %+v and %+v, want the same, one", pointers[0], pointers[1])
	}
	if len(got[0]) == 0 || !sameParts(total(got[0]), total(got[1])) {
		t.Fatalf("the recount's rows differ by the prior's form:\n%+v\n%+v", got[0], got[1])
	}
	cells, rollups := 0, 0
	for _, r := range got[0] {
		if r.TaggerVersion == CurrentView && r.Articles < 0 {
			switch r.Kind {
			case KindCell:
				cells++
			case KindEntity, KindCue:
				rollups++
			}
		}
	}
	if cells == 0 || rollups == 0 {
		t.Fatalf("the recount took %d cell rows and %d rollup rows out of the current view, want some of each", cells, rollups)
	}
}
