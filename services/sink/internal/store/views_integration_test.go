package store_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/synth"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// Since migration 0013 an article row may count in two views at once
// (journal.Row.InCurrent), and since 0014 a bucket or cell row too;
// journals written before hold one row per view. Since migration 0015 an
// article row counts in its cell too (journal.Row.Cell), and since 0016
// an article's "*" row holds its marker (journal.Row.Marker); journals
// written before hold a row of its own for each. Every read of article
// rows — priors, claims, a block's rows for its compensation, markers and
// rebuild's count of double counts — and of bucket and cell rows — the
// index publisher's states, rebuild's journal buckets, the base shares —
// and of rollup rows — rebuild's journal rollups —
// gives the same answer for either form: the same batches are written in
// the new form to one database and in the old to another, and read back
// from both.
func TestIntegrationRowsReadAlikeInBothForms(t *testing.T) {
	connNew, dbNew := chtest.Open(t, "tension_test_views_new")
	connOld, dbOld := chtest.Open(t, "tension_test_views_old")
	newForm, oldForm := store.New(connNew), store.New(connOld)
	ctx := context.Background()
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 4, 10, 0, 0, 0, 0, time.UTC)
	gen := synth.New(5, now.Add(-3*24*time.Hour), now)
	var ids []string
	var batches [][]*event.Enriched
	var first []*event.Enriched
	for range 300 {
		a, _, err := gen.NextRecord(now)
		if err != nil {
			t.Fatal(err)
		}
		e, _, err := event.Enrich(&a, tg.Tag(a.Title, a.Text), "tagger-2.0.0", now)
		if err != nil {
			t.Fatal(err)
		}
		first, ids = append(first, e), append(ids, e.ArticleID)
	}
	// The second batch recounts some articles under a higher version and
	// counts others under a lower one (its own view only); the third
	// counts one of them again in the same block (a double count in both
	// views, which rebuild must see as unsettled).
	var second []*event.Enriched
	for i, e := range first {
		switch i % 3 {
		case 0:
			second = append(second, withVersion(e, "tagger-3.0.0"))
		case 1:
			second = append(second, withVersion(e, "tagger-1.0.0"))
		}
	}
	batches = append(batches, first, second, first[:1])

	for i, batch := range batches {
		// Both databases must hold the same priors before each batch.
		priors, priorsOld := readBoth(t, newForm, oldForm, func(st *store.Store) (map[string]*journal.Prior, error) { return st.Priors(ctx, ids) })
		if g, w := normalPriors(priors), normalPriors(priorsOld); !reflect.DeepEqual(g, w) {
			t.Fatalf("batch %d: priors differ between the forms:\nnew %v\nold %v", i, g, w)
		}
		if i == 2 {
			priors = map[string]*journal.Prior{} // a block written blind: a double count
		}
		b := journal.NewBuilder()
		for _, e := range batch {
			b.Count(e, priors)
		}
		block := ledger.NewBlockID(int32(i+1), now)
		rows := b.Rows(block)
		legacy := legacyForm(rows)
		if i == 0 && len(legacy) < len(rows)+len(batch) {
			t.Fatalf("the first block has %d rows, %d in the old form: nothing in both views", len(rows), len(legacy))
		}
		if i == 0 && !slices.ContainsFunc(rows, func(r journal.Row) bool { return r.Kind == journal.KindArticle && r.Cell != "" && r.Marker != "" }) {
			t.Fatal("the first block has no article row in a cell with a marker")
		}
		if err := newForm.WriteJournal(ctx, rows); err != nil {
			t.Fatal(err)
		}
		if err := oldForm.WriteJournal(ctx, legacy); err != nil {
			t.Fatal(err)
		}
		claims, claimsOld := readBoth(t, newForm, oldForm, func(st *store.Store) ([]ledger.Claim, error) { return st.Claims(ctx, ids) })
		if g, w := sortedClaims(claims), sortedClaims(claimsOld); !reflect.DeepEqual(g, w) {
			t.Fatalf("batch %d: claims differ between the forms:\nnew %v\nold %v", i, g, w)
		}
		arts, artsOld := readBoth(t, newForm, oldForm, func(st *store.Store) ([]journal.Row, error) {
			arts, _, err := st.BlockRows(ctx, block)
			return arts, err
		})
		if g, w := bucketSums(journal.BucketRows(arts)), bucketSums(journal.BucketRows(artsOld)); !reflect.DeepEqual(g, w) {
			t.Fatalf("batch %d: the block's rows imply other buckets in the two forms", i)
		}
		refs := bucketRefs(legacy)
		states, statesOld := readBoth(t, newForm, oldForm, func(st *store.Store) ([]store.BucketState, error) {
			pairs, cells, err := st.States(ctx, refs, true)
			return append(pairs, cells...), err
		})
		if g, w := stateSums(states), stateSums(statesOld); len(g) == 0 || !reflect.DeepEqual(g, w) {
			t.Fatalf("batch %d: the bucket states differ between the forms (%d and %d)", i, len(g), len(w))
		}
	}
	from, to := now.Add(-10*24*time.Hour), now.Add(24*time.Hour)
	buckets, bucketsOld := readBoth(t, newForm, oldForm, func(st *store.Store) (map[store.BucketKey]tension.Parts, error) {
		return st.JournalBuckets(ctx, from, to)
	})
	if g, w := keyedSums(buckets), keyedSums(bucketsOld); len(g) == 0 || !reflect.DeepEqual(g, w) {
		t.Fatalf("rebuild's journal buckets differ between the forms (%d and %d)", len(g), len(w))
	}
	rollups, rollupsOld := readBoth(t, newForm, oldForm, func(st *store.Store) (map[store.RollupKey]store.RollupVal, error) {
		return st.JournalRollups(ctx, from, to)
	})
	if g, w := rollupSums(rollups), rollupSums(rollupsOld); len(g) == 0 || !reflect.DeepEqual(g, w) {
		t.Fatalf("the journal's rollups differ between the forms (%d and %d)", len(g), len(w))
	}
	shares, sharesOld := readBoth(t, newForm, oldForm, func(st *store.Store) (map[string]map[string]float64, error) {
		return st.BaseShares(ctx, from, to)
	})
	if len(shares[journal.CurrentView]) == 0 || !reflect.DeepEqual(shares, sharesOld) {
		t.Fatalf("base shares differ between the forms:\nnew %v\nold %v", shares, sharesOld)
	}
	markers, markersOld := readBoth(t, newForm, oldForm, func(st *store.Store) (map[store.MarkerKey]int64, error) {
		return st.JournalMarkers(ctx, from, to)
	})
	if len(markers) == 0 || !reflect.DeepEqual(markers, markersOld) {
		t.Fatalf("markers differ between the forms (%d and %d)", len(markers), len(markersOld))
	}
	doubled, doubledOld := readBoth(t, newForm, oldForm, func(st *store.Store) (int, error) {
		n, _, err := st.Unsettled(ctx, from, to)
		return n, err
	})
	if doubled != 2 || doubledOld != 2 {
		t.Fatalf("double counts: %d in the new form, %d in the old; want 2 (the article's version and the current view)", doubled, doubledOld)
	}
	checkPublishedSQL(t, journalForm{connNew, dbNew}, journalForm{connOld, dbOld}, from, to)
}

// journalForm is a database holding the journal in one form.
type journalForm struct {
	conn driver.Conn
	db   string
}

// checkPublishedSQL runs the SQL this repository hands to data teams — the
// Grafana dashboard's panels (grafana/tension-dashboard.json, its macros
// filled in for every interval and split) and the journal examples of
// docs/query-api.md — on the journal in both forms: each gives rows, the
// same in both. The dashboard once read the current view as the rows of
// an empty tagger version, as only the old form holds it: on the new form
// its first panel gave 98 rows where the old gave 287.
func checkPublishedSQL(t *testing.T, newForm, oldForm journalForm, from, to time.Time) {
	t.Helper()
	ctx := context.Background()
	var pair string
	if err := newForm.conn.QueryRow(ctx, `SELECT pair FROM index_journal WHERE kind = 'bucket' AND pair != '*'
		GROUP BY pair ORDER BY count() DESC, pair LIMIT 1`).Scan(&pair); err != nil {
		t.Fatal(err)
	}
	var queries []string
	panels := 0
	for _, q := range dashboardSQL(t) {
		if !strings.Contains(q, "index_journal") {
			continue
		}
		panels++
		splits := []string{""}
		if strings.Contains(q, "${split}") {
			splits = []string{"1", "2", "3"}
		}
		for _, g := range []string{"minute", "hour", "day"} {
			for _, split := range splits {
				queries = append(queries, strings.NewReplacer("${pair}", pair, "${granularity}", g, "${split}", split,
					"$__fromTime", fmt.Sprint(from.Unix()), "$__toTime", fmt.Sprint(to.Unix())).Replace(q))
			}
		}
	}
	docs := docsSQL(t)
	if panels < 3 || len(docs) == 0 {
		t.Fatalf("%d dashboard panels and %d docs examples read the journal; want the dashboard's three and the docs' index example", panels, len(docs))
	}
	queries = append(queries, docs...)
	for _, q := range queries {
		got := queryRows(t, newForm, q)
		want := queryRows(t, oldForm, q)
		if len(got) == 0 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%d rows from the new form, %d from the old, or not the same:\n%s", len(got), len(want), q)
		}
	}
}

// dashboardSQL is every panel query of the Grafana dashboard.
func dashboardSQL(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chtest.RepoRoot(), "grafana", "tension-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Targets []struct {
				RawSQL string `json:"rawSql"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			if tg.RawSQL != "" {
				out = append(out, tg.RawSQL)
			}
		}
	}
	return out
}

// docsSQL is the SQL examples of docs/query-api.md that read the journal.
func docsSQL(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chtest.RepoRoot(), "docs", "query-api.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, block := range strings.Split(string(b), "```sql\n")[1:] {
		q, _, _ := strings.Cut(block, "```")
		if strings.Contains(q, "index_journal") {
			out = append(out, q)
		}
	}
	return out
}

// queryRows runs q on the form's database (the dashboard's ${database}
// filled in) and gives its rows as text, floats to nine digits (sums over
// the two forms' rows may differ in the last bits).
func queryRows(t *testing.T, form journalForm, q string) []string {
	t.Helper()
	rows, err := form.conn.Query(context.Background(), strings.ReplaceAll(q, "${database}", form.db))
	if err != nil {
		t.Fatalf("%v:\n%s", err, q)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]any, len(rows.ColumnTypes()))
		for i, ct := range rows.ColumnTypes() {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		var line []string
		for _, v := range vals {
			switch x := reflect.ValueOf(v).Elem().Interface().(type) {
			case float64:
				line = append(line, fmt.Sprintf("%.9g", x))
			default:
				line = append(line, fmt.Sprint(x))
			}
		}
		out = append(out, strings.Join(line, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// readBoth reads the same thing from the journal in the new form and in
// the old.
func readBoth[T any](t *testing.T, newForm, oldForm *store.Store, read func(*store.Store) (T, error)) (T, T) {
	t.Helper()
	got, err := read(newForm)
	if err != nil {
		t.Fatal(err)
	}
	old, err := read(oldForm)
	if err != nil {
		t.Fatal(err)
	}
	return got, old
}

func withVersion(e *event.Enriched, version string) *event.Enriched {
	c := *e
	c.TaggerVersion = version
	return &c
}

// legacyForm writes rows as journals before migration 0013 did: an article,
// bucket, cell or rollup row in two views as one row per view (a rollup
// row under its key there); and as journals before migrations 0015 and
// 0016 did: an article row in a cell or with a marker as a row of its own
// for each (its cell's pair "<pair>|<cell>", the marker's pair).
func legacyForm(rows []journal.Row) []journal.Row {
	var out []journal.Row
	for _, r := range rows {
		for _, v := range r.Views() {
			c := r
			c.TaggerVersion, c.InCurrent = v, false
			if r.Kind == journal.KindEntity || r.Kind == journal.KindCue {
				c.Key = journal.RollupViewKey(r.Key, r.Pair, v)
			}
			out = append(out, c.OwnRows()...)
		}
	}
	return out
}

func mustCell(key string) tension.Cell {
	c, err := tension.ParseCellKey(key)
	if err != nil {
		panic(err)
	}
	return c
}

// normalPriors is priors as comparable text: versions sorted, the current
// view's contributions summed per pair (a cell's as "<pair>|<cell>") and
// minute.
func normalPriors(priors map[string]*journal.Prior) map[string]string {
	out := map[string]string{}
	for id, p := range priors {
		var versions []string
		for v, ok := range p.Versions {
			if ok {
				versions = append(versions, v)
			}
		}
		slices.Sort(versions)
		sums := map[string]tension.Parts{}
		add := func(pair string, c journal.Contribution) {
			k := fmt.Sprintf("%s@%d", pair, c.Bucket.Unix())
			s := sums[k]
			s.Add(c.Parts)
			sums[k] = s
		}
		for _, c := range p.Current {
			add(c.Pair, c)
			if c.Cell != "" { // in its cell too (migration 0015)
				add(tension.CellPair(c.Pair, mustCell(c.Cell)), c)
			}
			if c.Marker != "" { // and its marker (migration 0016)
				add(c.Marker, c)
			}
		}
		for k, s := range sums {
			if s.IsZero() {
				delete(sums, k)
			}
		}
		out[id] = fmt.Sprint(versions, sums)
	}
	return out
}

func sortedClaims(cs []ledger.Claim) []ledger.Claim {
	cs = slices.Clone(cs)
	slices.SortFunc(cs, func(a, b ledger.Claim) int {
		return cmp.Or(cmp.Compare(a.Article, b.Article), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Block, b.Block))
	})
	return cs
}

// bucketSums is bucket and cell rows summed by their key and view (a row
// in two views in each), rounded so that sums taken in another order
// compare equal.
func bucketSums(rows []journal.Row) map[string]string {
	out := map[string]tension.Parts{}
	for _, r := range rows {
		for _, v := range r.Views() {
			k := fmt.Sprintf("%s|%s|%s|%s|%q|%d", r.Kind, r.Key, r.Granularity, r.Pair, v, r.Bucket.Unix())
			s := out[k]
			s.Add(r.Parts)
			out[k] = s
		}
	}
	return partsText(out)
}

// bucketRefs are the buckets, in every view, that rows touch.
func bucketRefs(rows []journal.Row) []store.BucketRef {
	var out []store.BucketRef
	for _, r := range rows {
		if r.Kind != journal.KindBucket && r.Kind != journal.KindCell {
			continue
		}
		for _, v := range r.Views() {
			out = append(out, store.BucketRef{Granularity: tension.Granularity(r.Granularity), TaggerVersion: v, Bucket: r.Bucket.Unix()})
		}
	}
	return out
}

// stateSums is the parts of bucket states by key and cell, as text. The
// states' Entries (revisions) are left out: a block may write one row
// where the old form wrote two, or the reverse, and a revision only has to
// move with its bucket.
func stateSums(states []store.BucketState) map[string]string {
	out := map[string]tension.Parts{}
	for _, st := range states {
		k := fmt.Sprintf("%s|%s|%s|%q|%d", st.Cell, st.Key.Granularity, st.Key.Pair, st.Key.TaggerVersion, st.Key.Bucket)
		s := out[k]
		s.Add(st.Parts)
		out[k] = s
	}
	return partsText(out)
}

// rollupSums is rollups as text, rounded; those that sum to nothing left
// out.
func rollupSums(rollups map[store.RollupKey]store.RollupVal) map[store.RollupKey]string {
	out := map[store.RollupKey]string{}
	for k, v := range rollups {
		if v.Entries == 0 && v.Articles == 0 && math.Abs(v.Weight) < 1e-9 {
			continue
		}
		out[k] = fmt.Sprintf("%d %d %.9f", v.Entries, v.Articles, v.Weight)
	}
	return out
}

// keyedSums is rebuild's journal buckets as text.
func keyedSums(buckets map[store.BucketKey]tension.Parts) map[string]string {
	out := map[string]tension.Parts{}
	for k, p := range buckets {
		out[fmt.Sprintf("%s|%s|%q|%d", k.Granularity, k.Pair, k.TaggerVersion, k.Bucket)] = p
	}
	return partsText(out)
}

// partsText is sums as text, rounded so that sums taken in another order
// compare equal; parts that sum to nothing are left out.
func partsText(sums map[string]tension.Parts) map[string]string {
	text := map[string]string{}
	for k, p := range sums {
		if p.Articles == 0 && p.DyadArticles == 0 && p.Escalating == 0 && p.Deescalating == 0 && p.Mixed == 0 &&
			math.Abs(p.SumScore) < 1e-9 && math.Abs(p.SumWeight) < 1e-9 {
			continue
		}
		text[k] = fmt.Sprintf("%d %d %d %d %d %.9f %.9f", p.Articles, p.DyadArticles, p.Escalating, p.Deescalating, p.Mixed, p.SumScore, p.SumWeight)
	}
	return text
}
