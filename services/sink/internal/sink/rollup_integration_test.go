package sink

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
	"github.com/tension-dev/tension/services/sink/internal/rebuild"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// retagged is idA's or idB's version v with other tags than
// enrichedMessage's: only Beijing, and a de-escalating cue on JP-US.
func retagged(t *testing.T, partition int, offset int64, id, v string) kafka.Message {
	t.Helper()
	m := enrichedMessage(t, partition, offset, id, v)
	var e event.Enriched
	if err := json.Unmarshal(m.Value, &e); err != nil {
		t.Fatal(err)
	}
	e.Entities = []event.Entity{{Text: "Beijing", Type: "GOV", Canonical: "Beijing", Country: "CN", End: 7}}
	e.Dyads = []event.Dyad{{Pair: "JP-US", Tension: -0.3, Direction: event.DirectionDeescalation, Cues: []event.Cue{
		{Text: "talks", Category: "talks", Actor: "US", Target: "JP", Polarity: -1, Weight: 2, SourceType: "GOV"}}}}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	m.Value = b
	return m
}

// entries sums the journal's rollup rows of one view per kind and entry
// (the key after pair, view and day), over every pair.
func entries(t *testing.T, st *store.Store, day time.Time, view string) map[string]int64 {
	t.Helper()
	rows, err := st.JournalRollups(context.Background(), day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for k, v := range rows {
		if k.View != view {
			continue
		}
		item := strings.TrimPrefix(k.Key, tension.RollupPrefix(k.Pair, k.View, time.Unix(k.Day, 0)))
		if v.Entries != 0 {
			out[k.Kind+" "+k.Pair+" "+strings.SplitN(item, journal.RollupSep, 2)[0]] += v.Entries
		}
	}
	return out
}

// TestIntegrationRecountMovesTheRankedLists goes through the real store: a
// higher tagger version of an article counted by an earlier batch takes the
// old version's entities and cues out of the current view's rollups (read
// back from the raw tables), one counted in the same batch too (from the
// batch itself); each version keeps its own view; rebuild's independent
// SQL over the raw rows finds nothing to correct.
func TestIntegrationRecountMovesTheRankedLists(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_rollups")
	st := store.New(conn)
	for _, batch := range [][]kafka.Message{
		{enrichedMessage(t, 0, 0, idA, "v1")},
		{retagged(t, 0, 1, idA, "v2"), enrichedMessage(t, 0, 2, idB, "v1"), retagged(t, 0, 3, idB, "v2")},
	} {
		src := newListSource(batch)
		s := New(Config{Topic: "enriched", MaxBatch: 10, FlushInterval: 10 * time.Millisecond}, src, src, &sliceWriter{}, st,
			slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()), nil)
		drain(t, s, src, st)
	}
	day := time.Date(2025, 4, 9, 0, 0, 0, 0, time.UTC)
	current := entries(t, st, day, "")
	want := map[string]int64{"entity * Beijing": 2, "entity JP-US Beijing": 2, "cue JP-US talks": 2}
	if len(current) != len(want) {
		t.Errorf("current view: %v, want %v", current, want)
	}
	for k, n := range want {
		if current[k] != n {
			t.Errorf("current view: %s = %d, want %d (all: %v)", k, current[k], n, current)
		}
	}
	if v1 := entries(t, st, day, "v1"); v1["entity * Washington"] != 4 || v1["cue CN-US raised tariffs"] != 4 {
		t.Errorf("v1's view: %v", v1)
	}
	diffs, err := rebuild.Run(context.Background(), st, day, day.Add(24*time.Hour), true)
	if err != nil || len(diffs) != 0 {
		t.Fatalf("rebuild -dry-run: %v %v", diffs, err)
	}
}

// TestIntegrationCompensationCancelsTheRankedLists: two blocks recount the
// same article from v1 to v2 (a zombie's and the owner's); the loser's
// compensation, derived from its article rows and the raw rows its markers
// name, takes its rollup deltas out again: rebuild then finds the journal
// equal to the raw rows.
func TestIntegrationCompensationCancelsTheRankedLists(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_rollups_comp")
	st := store.New(conn)
	ctx := context.Background()
	decode := func(m kafka.Message) *event.Enriched {
		e, err := decodeEnriched(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	v1, v2 := decode(enrichedMessage(t, 0, 0, idA, "v1")), decode(retagged(t, 0, 1, idA, "v2"))
	if err := st.WriteRaw(ctx, []*event.Enriched{v1, v2}, []store.Source{{Offset: 0}, {Offset: 1}}); err != nil {
		t.Fatal(err)
	}
	first := journal.NewBuilder()
	first.Add(v1, nil)
	first.Cover("enriched@x", 0, 0, 1)
	if err := st.WriteJournal(ctx, first.Rows(ledger.NewBlockID(1, time.Now()))); err != nil {
		t.Fatal(err)
	}
	priors, err := st.Priors(ctx, []string{idA})
	if err != nil {
		t.Fatal(err)
	}
	write := func(epoch int32) string {
		b := journal.NewBuilder()
		if o := b.Add(v2, priors[idA]); o != journal.Recounted {
			t.Fatalf("outcome %v, want a recount", o)
		}
		tags, err := st.VersionTags(ctx, b.Pending())
		if err != nil {
			t.Fatal(err)
		}
		b.Retract(tags)
		b.Cover("enriched@x", 0, 1, 2)
		block := ledger.NewBlockID(epoch, time.Now())
		if err := st.WriteJournal(ctx, b.Rows(block)); err != nil {
			t.Fatal(err)
		}
		return block
	}
	loser := write(2)
	write(3) // built on the same priors: both recount
	articles, ranges, err := st.BlockRows(ctx, loser)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := st.VersionTags(ctx, journal.MarkerRefs(articles))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.WriteJournal(ctx, journal.Compensation(loser, articles, ranges, tags)); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2025, 4, 9, 0, 0, 0, 0, time.UTC)
	if cur := entries(t, st, day, ""); cur["entity * Washington"] != 0 || cur["entity * Beijing"] != 1 || cur["cue JP-US talks"] != 1 {
		t.Errorf("current view after the compensation: %v", cur)
	}
	diffs, err := rebuild.Run(ctx, st, day, day.Add(24*time.Hour), true)
	if err != nil || len(diffs) != 0 {
		t.Fatalf("rebuild -dry-run after the compensation: %v %v", diffs, err)
	}
}

// TestIntegrationPointersFollowTheCurrentVersion: a version published a day
// after the first (its published_at corrected): the sink writes a pointer
// at the first version's time, in a later batch (from the raw rows) and in
// the same batch, so the raw reads of the query service, which take the
// argMax of article_versions in a range, keep no version of the article in
// a range holding only the old one.
func TestIntegrationPointersFollowTheCurrentVersion(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_pointers")
	st := store.New(conn)
	later := func(m kafka.Message) kafka.Message {
		m.Value = mustReplace(t, m.Value, `"published_at":"2025-04-09T12:00:00Z"`, `"published_at":"2025-04-10T12:00:00Z"`)
		return m
	}
	for _, batch := range [][]kafka.Message{
		{enrichedMessage(t, 0, 0, idA, "v1")},
		{later(retagged(t, 0, 1, idA, "v2")), enrichedMessage(t, 0, 2, idB, "v1"), later(retagged(t, 0, 3, idB, "v2"))},
	} {
		src := newListSource(batch)
		s := New(Config{Topic: "enriched", MaxBatch: 10, FlushInterval: 10 * time.Millisecond}, src, src, &sliceWriter{}, st,
			slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()), nil)
		drain(t, s, src, st)
	}
	for _, id := range []string{idA, idB} {
		var current string
		if err := conn.QueryRow(context.Background(), `SELECT argMax(tagger_version, version) FROM article_versions
			WHERE article_id = toUUID(?) AND published_at = toDateTime('2025-04-09 12:00:00', 'UTC')`, id).Scan(&current); err != nil {
			t.Fatal(err)
		}
		if current != "v2" {
			t.Errorf("%s: article_versions at v1's time keep %q, want a pointer to v2", id, current)
		}
	}
	day := time.Date(2025, 4, 9, 0, 0, 0, 0, time.UTC)
	if cur := entries(t, st, day, ""); len(cur) != 0 {
		t.Errorf("current view on v1's day: %v, want nothing (v2 is on the next day)", cur)
	}
	if cur := entries(t, st, day.Add(24*time.Hour), ""); cur["entity * Beijing"] != 2 {
		t.Errorf("current view on v2's day: %v", cur)
	}
	diffs, err := rebuild.Run(context.Background(), st, day, day.Add(48*time.Hour), true)
	if err != nil || len(diffs) != 0 {
		t.Fatalf("rebuild -dry-run: %v %v", diffs, err)
	}
}
