package journal

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
)

// tagged is an article with entities and cues on its dyads.
func tagged(id, version string, ts time.Time, ents []event.Entity, dyads ...event.Dyad) *event.Enriched {
	e := article(id, version, ts, dyads...)
	e.Entities = ents
	return e
}

func cue(text string, w float64) event.Cue {
	return event.Cue{Text: text, Category: "tariff", Actor: "US", Target: "CN", Polarity: 1, Weight: w}
}

var (
	wash = event.Entity{Canonical: "Washington", Type: "GOV", Country: "US"}
	bj   = event.Entity{Canonical: "Beijing", Type: "GOV", Country: "CN"}
)

// listKey is one entry of a ranked list: an entity or a cue in a pair and
// view, over every day.
type listKey struct{ kind, pair, view, item string }

type listVal struct {
	entries, articles int64
	weight            float64
	strongest         float64
}

// lists sums rollup rows the way the query API does: per entry, with the
// strongest weight among those whose occurrences do not cancel; a row in
// two views (InCurrent) in each, under its key there (RollupViewKey).
func lists(rows []Row) map[listKey]listVal {
	type wk struct {
		k listKey
		w int64
	}
	perWeight := map[wk]*listVal{}
	for _, r := range rows {
		if r.Kind != KindEntity && r.Kind != KindCue {
			continue
		}
		for _, view := range r.Views() {
			item := RollupViewKey(r.Key, r.Pair, view)[len(RollupPrefix(r.Pair, view, r.Bucket)):]
			k := wk{listKey{r.Kind, r.Pair, view, item}, r.SrcOffset}
			v := perWeight[k]
			if v == nil {
				v = &listVal{}
				perWeight[k] = v
			}
			v.entries += r.Entries
			v.articles += r.Articles
			v.weight += r.SumWeight
		}
	}
	out := map[listKey]listVal{}
	for k, v := range perWeight {
		if v.entries == 0 {
			continue
		}
		o := out[k.k]
		o.entries += v.entries
		o.articles += v.articles
		o.weight += v.weight
		o.strongest = max(o.strongest, math.Float64frombits(uint64(k.w)))
		out[k.k] = o
	}
	return out
}

// The rollups count each article once per entity (its mentions summed),
// in "*" and in each pair its version scores, and each cue in its own pair
// with its strongest weight; a recount moves the current view's entries
// from the old version's tags to the new one's and keeps each version's
// own view.
func TestRollupsFollowTheCurrentVersion(t *testing.T) {
	b := NewBuilder()
	a1 := tagged("a", "v1", t0, []event.Entity{wash, wash, bj},
		event.Dyad{Pair: "CN-US", Cues: []event.Cue{cue("raised tariffs", 4), cue("raised tariffs", 6)}})
	b.Add(a1, nil)
	first := b.Rows("0000000001-a")
	got := lists(first)
	want := map[listKey]listVal{
		{KindEntity, "*", "", "Washington\x1fGOV\x1fUS"}:                    {entries: 2, articles: 1},
		{KindEntity, "*", "", "Beijing\x1fGOV\x1fCN"}:                       {entries: 1, articles: 1},
		{KindEntity, "CN-US", "", "Washington\x1fGOV\x1fUS"}:                {entries: 2, articles: 1},
		{KindCue, "CN-US", "", "raised tariffs\x1ftariff\x1f1\x1fUS\x1fCN"}: {entries: 2, articles: 1, weight: 10, strongest: 6},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%v = %+v, want %+v", k, got[k], w)
		}
		vk := k
		vk.view = "v1"
		if got[vk] != w {
			t.Errorf("%v = %+v, want %+v", vk, got[vk], w)
		}
	}

	// v2 no longer scores CN-US and names only Beijing: in the current
	// view Washington and the cue are gone; v1's view keeps them.
	// In the same batch, the builder has v1's tags itself.
	same := NewBuilder()
	same.Add(a1, nil)
	same.Count(tagged("a", "v2", t0, []event.Entity{bj}), map[string]*Prior{"a": {Versions: map[string]bool{"v1": true}, Current: Contributions(a1)}})
	if len(same.Pending()) != 0 {
		t.Fatalf("pending %v: v1 was counted in this batch", same.Pending())
	}
	// The prior came from a builder, not the journal: read it the way a
	// sink does, from a block's rows, and retract from the "raw tables".
	b3 := NewBuilder()
	prior := &Prior{Versions: map[string]bool{"v1": true}, Current: Contributions(a1)}
	b3.Add(tagged("a", "v2", t0, []event.Entity{bj}), prior)
	if p := b3.Pending(); len(p) != 1 || p[0].VersionRef != (VersionRef{"a", "v1"}) || !p[0].At.Equal(t0.Truncate(time.Minute)) {
		t.Fatalf("pending = %+v, want a's v1 at its minute", p)
	}
	b3.Retract(tagsOf(a1))
	all := lists(append(first, b3.Rows("0000000002-a")...))
	if v := all[listKey{KindEntity, "*", "", "Washington\x1fGOV\x1fUS"}]; v.entries != 0 || v.articles != 0 {
		t.Errorf("Washington in the current view after the recount: %+v", v)
	}
	if v := all[listKey{KindEntity, "*", "", "Beijing\x1fGOV\x1fCN"}]; v != (listVal{entries: 1, articles: 1}) {
		t.Errorf("Beijing in the current view after the recount: %+v", v)
	}
	if v := all[listKey{KindCue, "CN-US", "", "raised tariffs\x1ftariff\x1f1\x1fUS\x1fCN"}]; v.entries != 0 {
		t.Errorf("the cue in the current view after the recount: %+v", v)
	}
	if v := all[listKey{KindEntity, "*", "v1", "Washington\x1fGOV\x1fUS"}]; v != (listVal{entries: 2, articles: 1}) {
		t.Errorf("Washington in v1's view: %+v", v)
	}
	if v := all[listKey{KindEntity, "*", "v2", "Beijing\x1fGOV\x1fCN"}]; v != (listVal{entries: 1, articles: 1}) {
		t.Errorf("Beijing in v2's view: %+v", v)
	}
}

// A block's rollup rows are RollupRows of its article rows and the tags
// they name (read back from the raw tables): what lets a compensation and
// rebuild derive them, for random batches with recounts, older versions
// and duplicates.
func TestRollupRowsAreDerivedFromArticleRows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 16))
	for round := range 50 {
		stored := map[VersionRef]*Tags{}
		priors := map[string]*Prior{}
		// Earlier blocks, whose versions a later block may take out.
		var earlier []Row
		for range 10 {
			e := randomTagged(r, "v1")
			eb := NewBuilder()
			if o, _ := eb.Count(e, priors); o != Duplicate {
				stored[VersionRef{e.ArticleID, e.TaggerVersion}] = TagsOf(e)
			}
			earlier = append(earlier, eb.Rows("0000000002-e")...)
		}
		b := NewBuilder()
		for range 30 {
			e := randomTagged(r, []string{"v1", "v2", "v3"}[r.IntN(3)])
			if o, _ := b.Count(e, priors); o != Duplicate {
				stored[VersionRef{e.ArticleID, e.TaggerVersion}] = TagsOf(e) // the raw rows it writes
			}
		}
		b.Retract(stored)
		var roll, articles []Row
		for _, row := range b.Rows("0000000003-r") {
			switch row.Kind {
			case KindEntity, KindCue:
				roll = append(roll, row)
			case KindArticle:
				articles = append(articles, row)
			}
		}
		got, want := lists(RollupRows(articles, stored)), lists(roll)
		for k, w := range want {
			g := got[k]
			if g.entries != w.entries || g.articles != w.articles || math.Abs(g.weight-w.weight) > 1e-9 || g.strongest != w.strongest {
				t.Fatalf("round %d %v: derived %+v, block %+v", round, k, g, w)
			}
		}
		for k, g := range got {
			if _, ok := want[k]; !ok && g.entries != 0 {
				t.Fatalf("round %d %v: derived %+v, not in the block", round, k, g)
			}
		}
		for k, v := range lists(append(earlier, roll...)) {
			if v.entries < 0 || v.articles < 0 || v.articles > v.entries {
				t.Fatalf("round %d %v: %+v", round, k, v)
			}
		}
	}
}

func randomTagged(r *rand.Rand, version string) *event.Enriched {
	names := []event.Entity{wash, bj, {Canonical: "Tokyo", Type: "GOV", Country: "JP"}, {Canonical: "Tokyo", Type: "GOV", Country: ""}}
	var ents []event.Entity
	for range r.IntN(4) {
		ents = append(ents, names[r.IntN(len(names))])
	}
	var dyads []event.Dyad
	for _, p := range []string{"CN-US", "JP-US"} {
		if r.IntN(2) == 0 {
			continue
		}
		d := event.Dyad{Pair: p}
		for range r.IntN(3) {
			d.Cues = append(d.Cues, cue([]string{"raised tariffs", "talks"}[r.IntN(2)], float64(r.IntN(4))+0.7))
		}
		dyads = append(dyads, d)
	}
	id := string(rune('a' + r.IntN(12)))
	return tagged(id, version, t0.Add(time.Duration(r.IntN(3))*20*time.Hour), ents, dyads...)
}

// The key of a rollup row starts with its pair, view and day, so that a
// range of days is one run of the journal's sorting key; a row in two views
// (InCurrent) is keyed under the current view, and stands for the same key
// with its version in the prefix in the version's view.
func TestRollupKeysSortByPairViewDay(t *testing.T) {
	b := NewBuilder()
	b.Add(tagged("a", "v1", t0, []event.Entity{wash}), nil)
	b.Add(tagged("b", "v0", t0, []event.Entity{wash}), &Prior{Versions: map[string]bool{"v1": true}}) // older: its own view
	forms := map[bool]int{}
	for _, r := range b.Rows("x") {
		if r.Kind != KindEntity {
			continue
		}
		forms[r.InCurrent]++
		view := r.TaggerVersion
		if r.InCurrent {
			view = CurrentView
		}
		if !strings.HasPrefix(r.Key, RollupPrefix(r.Pair, view, t0)) || r.Granularity != string(tension.Day) || !r.Bucket.Equal(tension.Day.Truncate(t0)) {
			t.Errorf("rollup row %+v", r)
		}
		if r.InCurrent {
			if got, want := RollupViewKey(r.Key, r.Pair, r.TaggerVersion), RollupPrefix(r.Pair, r.TaggerVersion, t0)+r.Key[len(RollupPrefix(r.Pair, view, t0)):]; got != want {
				t.Errorf("row %+v in its version's view: key %q, want %q", r, got, want)
			}
		}
	}
	if forms[true] == 0 || forms[false] == 0 {
		t.Fatalf("rollup rows by InCurrent: %v, want both forms", forms)
	}
}

// A version that stops being current, or arrives below the current one,
// gets a pointer to the current version at its own time when that differs
// from the current version's (and it has tags a list could read).
func TestPointersFromOldVersionsToTheCurrentOne(t *testing.T) {
	v1 := tagged("a", "v1", t0, []event.Entity{wash})
	v2 := tagged("a", "v2", t0.Add(25*time.Hour), []event.Entity{bj})
	same := tagged("a", "v2", t0, []event.Entity{bj})
	bare := tagged("a", "v1", t0, nil)
	for _, tc := range []struct {
		name  string
		first *event.Enriched
		then  *event.Enriched
		raw   bool // the first version is read back from the raw tables
		want  []Pointer
	}{
		{"recount in the batch", v1, v2, false, []Pointer{{"a", t0, "v2"}}},
		{"recount of an earlier block's version", v1, v2, true, []Pointer{{"a", t0, "v2"}}},
		{"recount at the same time", v1, same, true, nil},
		{"older version arriving later", v2, v1, false, []Pointer{{"a", t0, "v2"}}},
		{"old version without tags", bare, v2, true, nil},
		{"old version counted before migration 0010 (no marker)", v1, v2, true, []Pointer{{"a", t0, "v2"}}},
	} {
		priors := map[string]*Prior{}
		b := NewBuilder()
		if tc.raw {
			NewBuilder().Count(tc.first, priors)
			if strings.Contains(tc.name, "no marker") {
				p := priors["a"]
				var kept []Contribution
				for _, c := range p.Current {
					if _, ok := MarkerVersion(c.Pair); !ok {
						c.Marker = ""
						kept = append(kept, c)
					}
				}
				p.Current = kept
			}
		} else {
			b.Count(tc.first, priors)
		}
		b.Count(tc.then, priors)
		b.Retract(tagsOf(tc.first))
		if got := b.Pointers(); !reflect.DeepEqual(got, tc.want) && (len(got) != 0 || len(tc.want) != 0) {
			t.Errorf("%s: pointers %+v, want %+v", tc.name, got, tc.want)
		}
		if strings.Contains(tc.name, "no marker") {
			// Its tags are in no rollup: nothing is taken out.
			if v := lists(b.Rows("x"))[listKey{KindEntity, "*", "", "Washington\x1fGOV\x1fUS"}]; v.entries != 0 {
				t.Errorf("%s: Washington in the current view: %+v", tc.name, v)
			}
		}
	}
}

// A block's rows come in the journal table's order (CompareInTable: kind
// and granularity by their Enum numbers, then key, pair, view, bucket,
// partition, offset, block), each key once: the server then skips its sort
// of the INSERT, and every sink writes a compensation's rows alike, so that
// a replicated journal keeps one copy. Synthetic batches over a day and over
// two years, with a second version of some articles (retractions from the
// current view), their ranges, RollupRows and BucketRows of the same block,
// and the block's compensation.
func TestRowsInTableOrder(t *testing.T) {
	for _, span := range []time.Duration{24 * time.Hour, 2 * 365 * 24 * time.Hour} {
		arts := syntheticBatch(t, 1000, span)
		b := NewBuilder()
		priors := map[string]*Prior{}
		for _, e := range arts {
			b.Count(e, priors)
		}
		for i, e := range arts[:200] {
			again := *e
			again.TaggerVersion = "tagger-9.0.0"
			if i%2 == 0 {
				again.Entities = again.Entities[:len(again.Entities)/2]
			}
			b.Count(&again, priors)
		}
		b.Cover("enriched@1", 2, 10, 20)
		b.Cover("enriched@1", 0, 5, 9)
		b.Cover("enriched@1", 0, 9, 30)
		rows := b.Rows("x")
		articles, ranges := articlesAndRanges(rows)
		for name, rs := range map[string][]Row{"Rows": rows, "RollupRows": RollupRows(rows, b.tags),
			"BucketRows": BucketRows(articles), "Compensation": Compensation("x", articles, ranges, b.tags)} {
			kinds := map[string]int{}
			for _, r := range rs {
				kinds[r.Kind]++
			}
			if len(rs) < 100 {
				t.Fatalf("%v %s: %d rows, want a batch's worth", span, name, len(rs))
			}
			for i := 1; i < len(rs); i++ {
				if CompareInTable(&rs[i-1], &rs[i]) >= 0 {
					t.Fatalf("%v %s: row %d %+v not after %+v", span, name, i, rs[i], rs[i-1])
				}
			}
			t.Logf("%v %s: %d rows in order, by kind %v", span, name, len(rs), kinds)
		}
	}
}

func TestPolarityTextIsItoa(t *testing.T) {
	for p := math.MinInt8; p <= math.MaxInt8; p++ {
		if got, want := polarityText(int8(p)), strconv.Itoa(p); got != want {
			t.Fatalf("polarityText(%d) = %q, want %q", p, got, want)
		}
	}
}
