package store_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// TestIntegrationViewsOfBothForms: since migration 0014 the sink writes a
// bucket or cell delta that counts in a version's view and in the current
// view as one row (tagger_version = the version, in_current = 1); rows
// written before stand for one view each. Every read of bucket and cell
// rows — the index by bucket and by month, the base, the split by cell,
// the pairs, the ranked lists' guard — takes such a row for both views and
// nothing else twice.
func TestIntegrationViewsOfBothForms(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_query_views")
	day := time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC)
	type delta struct {
		version   string
		inCurrent uint8
		all, dyad int64 // articles of "*" and of its "||en" cell; dyad articles of CN-US and of its cell
		esc       int64
	}
	deltas := []delta{
		{"v2", 1, 10, 4, 3}, // counted under v2, its current version: both views
		{"", 0, -2, -1, -1}, // a recount's retraction of v1 from the current view
		{"v1", 1, 2, 1, 1},  // v1 counted when it was current (both views)
		{"v1", 0, 5, 2, 1},  // v1 counted late, in its own view only
	}
	const cols = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket,
		entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight, in_current)`
	for _, d := range deltas {
		for _, g := range []string{"hour", "day"} {
			chtest.Insert(t, conn, cols,
				[]any{"bucket", "", g, "*", d.version, day, int64(1), d.all, int64(0), int64(0), int64(0), int64(0), 0.0, 0.0, d.inCurrent},
				[]any{"bucket", "", g, "CN-US", d.version, day, int64(1), int64(0), d.dyad, d.esc, d.dyad - d.esc, int64(0), 0.5 * float64(d.esc), float64(d.dyad), d.inCurrent},
				[]any{"cell", "||en", g, "*", d.version, day, int64(1), d.all, int64(0), int64(0), int64(0), int64(0), 0.0, 0.0, d.inCurrent},
				[]any{"cell", "CN|official|en", g, "CN-US", d.version, day, int64(1), int64(0), d.dyad, d.esc, d.dyad - d.esc, int64(0), 0.5 * float64(d.esc), float64(d.dyad), d.inCurrent})
		}
	}
	want := map[string]delta{}
	for _, d := range deltas {
		views := []string{d.version}
		if d.inCurrent == 1 {
			views = append(views, "")
		}
		for _, v := range views {
			w := want[v]
			w.all, w.dyad, w.esc = w.all+d.all, w.dyad+d.dyad, w.esc+d.esc
			want[v] = w
		}
	}
	s := store.New(conn, 30*time.Second)
	ctx := context.Background()
	from, to := day, day.Add(24*time.Hour)
	for _, view := range []string{"", "v1", "v2"} {
		w := want[view]
		for _, q := range []store.IndexQuery{
			{Pair: "CN-US", Granularity: tension.Hour, TaggerVersion: view, From: from, To: to},
			{Pair: "CN-US", Granularity: tension.Day, ByMonth: true, TaggerVersion: view, From: from, To: to},
			{Pair: "CN-US", Granularity: tension.Day, TaggerVersion: view, From: from, To: to, Cell: store.CellFilter{Lang: "en"}},
			{Pair: "CN-US", Granularity: tension.Hour, ByMonth: false, TaggerVersion: view, From: from, To: to,
				Cell: store.CellFilter{Actor: "CN", HasActor: true}},
		} {
			got, err := s.Index(ctx, q)
			if err != nil {
				t.Fatalf("view %q %+v: %v", view, q, err)
			}
			if len(got) != 1 || got[0].Parts.Articles != w.all || got[0].Parts.DyadArticles != w.dyad || got[0].Parts.Escalating != w.esc {
				t.Errorf("view %q, %+v: %+v, want articles %d, dyad articles %d, escalating %d", view, q, got, w.all, w.dyad, w.esc)
			}
		}
		for _, cell := range []store.CellFilter{{}, {Lang: "en"}} {
			esc, all, err := s.Base(ctx, store.BaseQuery{Pair: "CN-US", Granularity: tension.Day, TaggerVersion: view, From: from, To: to, Cell: cell})
			if err != nil {
				t.Fatal(err)
			}
			if esc != w.esc || all != w.all {
				t.Errorf("view %q, cell %+v: base %d of %d, want %d of %d", view, cell, esc, all, w.esc, w.all)
			}
		}
		pairs, err := s.Pairs(ctx, view)
		if err != nil {
			t.Fatal(err)
		}
		if len(pairs) != 1 || pairs[0].Pair != "CN-US" || pairs[0].DyadArticles != w.dyad {
			t.Errorf("view %q: pairs %+v, want CN-US with %d dyad articles", view, pairs, w.dyad)
		}
	}
	n, err := s.ArticlesIn(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if n != want[""].all {
		t.Errorf("articles in the current view's day: %d, want %d", n, want[""].all)
	}
}

// TestIntegrationRankedListsOfBothForms: since migration 0014 a rollup
// delta that counts in a version's view and in the current view is one row,
// keyed under the current view (tagger_version the version, in_current 1).
// The ranked lists over whole days read each view's entries from rows of
// either form, and a cue's strongest weight is the largest whose
// occurrences do not cancel, across the forms too.
func TestIntegrationRankedListsOfBothForms(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_query_view_lists")
	day := time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC)
	const sep = tension.RollupSep
	entityKey := func(view string) string {
		return tension.RollupPrefix("CN-US", view, day) + "Beijing" + sep + "GOV" + sep + "CN"
	}
	cueKey := func(view string) string {
		return tension.RollupPrefix("CN-US", view, day) + "raised tariffs" + sep + "trade" + sep + "1" + sep + "CN" + sep + "US"
	}
	type rollup struct {
		keyView, version string
		inCurrent        uint8
		articles         int64 // entity: articles, mentions twice that; cue: occurrences at weight 2, articles on it
		strong           int64 // cue: occurrences at weight 5
	}
	rows := []rollup{
		{"", "v2", 1, 3, 0},    // counted under v2, current: both views
		{"", "", 0, -1, 0},     // a recount takes v1 out of the current view
		{"", "v1", 1, 1, 1},    // v1, counted when it was current, with an occurrence at 5
		{"v1", "v1", 0, 2, -1}, // v1 counted late (own view); a correction takes the 5 out of v1's view only
	}
	const cols = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket, src_offset, entries, articles, sum_weight, in_current)`
	for _, r := range rows {
		ins := [][]any{
			{"entity", entityKey(r.keyView), "day", "CN-US", r.version, day, int64(0), 2 * r.articles, r.articles, 0.0, r.inCurrent},
			{"cue", cueKey(r.keyView), "day", "CN-US", r.version, day, int64(math.Float64bits(2)), r.articles, r.articles, 2 * float64(r.articles), r.inCurrent},
		}
		if r.strong != 0 {
			ins = append(ins, []any{"cue", cueKey(r.keyView), "day", "CN-US", r.version, day, int64(math.Float64bits(5)), r.strong, int64(0), 5 * float64(r.strong), r.inCurrent})
		}
		chtest.Insert(t, conn, cols, ins...)
	}
	// In each view: v2's current view counts 3 - 1 + 1 = 3, v1's own
	// 1 + 2 = 3, v2's own 3. The occurrence at 5 is in the current view
	// only: v1's own view took it out.
	want := map[string]int64{"": 3, "v1": 3, "v2": 3}
	strong := map[string]int64{"": 1}
	s := store.New(conn, 30*time.Second)
	ctx := context.Background()
	for view, n := range want {
		q := store.TopQuery{Pair: "CN-US", TaggerVersion: view, From: day, To: day.Add(24 * time.Hour), Limit: 10}
		ents, err := s.TopEntities(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 1 || ents[0].Canonical != "Beijing" || ents[0].Country != "CN" || ents[0].Articles != uint64(n) || ents[0].Mentions != uint64(2*n) {
			t.Errorf("view %q: top entities %+v, want Beijing in %d articles", view, ents, n)
		}
		cues, err := s.TopCues(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		k, maxWeight := strong[view], 2.0
		if k > 0 {
			maxWeight = 5
		}
		if len(cues) != 1 || cues[0].Text != "raised tariffs" || cues[0].Count != uint64(n+k) || cues[0].TotalWeight != 2*float64(n)+5*float64(k) || cues[0].MaxWeight != maxWeight {
			t.Errorf("view %q: top cues %+v, want raised tariffs %d times, strongest %g", view, cues, n+k, maxWeight)
		}
	}
}
