package store_test

import (
	"context"
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
