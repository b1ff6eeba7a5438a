package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/pkg/tension"
)

// runBackfill runs bin/backfill against the stack's raw topic and returns
// its stdout and stderr.
func (s *stack) runBackfill(args ...string) (string, error) {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(s.bin, "backfill"), args...)
	cmd.Env = s.env("backfill")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String() + errb.String(), err
}

// journalTotals sums the "*" rows of the current view per granularity.
func (s *stack) journalTotals() map[string]int64 {
	s.t.Helper()
	rows, err := s.ch.Query(context.Background(), `SELECT toString(granularity), sum(articles) FROM index_journal
		WHERE kind = 'bucket' AND pair = '*' AND (tagger_version = '' OR in_current = 1) GROUP BY granularity`)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]int64{}
	for rows.Next() {
		var g string
		var c int64
		rows.Scan(&g, &c)
		got[g] = c
	}
	return got
}

func (s *stack) waitTotals(want int64, timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := s.journalTotals()
		ok := true
		for _, g := range []string{"minute", "hour", "day"} {
			if got[g] > want {
				s.t.Fatalf("%s rollup counts %d articles, more than %d", g, got[g], want)
			}
			ok = ok && got[g] == want
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("index totals %v after %v, want %d in every granularity (logs in %s)", got, timeout, want, s.logs)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitMetric waits until a sink counter reaches want.
func (s *stack) waitMetric(service, name string, want float64, timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for s.metric(service, name) < want {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s %s = %v after %v, want %v", service, name, s.metric(service, name), timeout, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// journalUpdates is what tension.index.v1 must end with: every bucket of
// the current view, as the journal holds it, with the revision the sink
// derives (the pair's journal rows plus the "*" rows of the bucket).
func (s *stack) journalUpdates() map[string]tension.Update {
	s.t.Helper()
	rows, err := s.ch.Query(context.Background(), `SELECT toString(granularity), pair, bucket, sum(entries),
			sum(articles), sum(dyad_articles), sum(escalating), sum(deescalating), sum(mixed), sum(sum_score), sum(sum_weight)
		FROM index_journal WHERE kind = 'bucket' AND (tagger_version = '' OR in_current = 1)
		GROUP BY granularity, pair, bucket`)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	type st struct {
		g, pair string
		bucket  time.Time
		entries int64
		p       tension.Parts
	}
	var all []st
	star := map[string]st{}
	for rows.Next() {
		var r st
		if err := rows.Scan(&r.g, &r.pair, &r.bucket, &r.entries, &r.p.Articles, &r.p.DyadArticles, &r.p.Escalating,
			&r.p.Deescalating, &r.p.Mixed, &r.p.SumScore, &r.p.SumWeight); err != nil {
			s.t.Fatal(err)
		}
		all = append(all, r)
		if r.pair == tension.AllPair {
			star[r.g+r.bucket.UTC().String()] = r
		}
	}
	out := map[string]tension.Update{}
	for _, r := range all {
		a := star[r.g+r.bucket.UTC().String()]
		rev := r.entries
		if r.pair != tension.AllPair {
			rev += a.entries
		}
		u := tension.NewUpdate(r.pair, tension.Granularity(r.g), r.bucket, "", rev, r.p, a.p.Articles, 0, time.Time{})
		out[u.Key()] = u
	}
	return out
}

// snapshot reads the index topic from the beginning to its end with
// bin/tension-watch, keeping the highest revision per key.
func (s *stack) snapshot() map[string]tension.Update {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(s.bin, "tension-watch"), "-snapshot", "-json", "-all", "-interval", "")
	cmd.Env = s.env("tension-watch")
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("tension-watch -snapshot: %v\n%s", err, tail(string(out), 2000))
	}
	got := map[string]tension.Update{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var u tension.Update
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
			s.t.Fatalf("snapshot line %q: %v", sc.Text(), err)
		}
		got[u.Key()] = u
	}
	return got
}

// checkTopicMatchesJournal: a consumer that rebuilds state from the
// compacted topic ends with the journal's state for every bucket.
func (s *stack) checkTopicMatchesJournal() {
	s.t.Helper()
	fields := func(u tension.Update) (int64, tension.Parts) { return u.Revision, u.Parts }
	checkTopicMatches(s.t, "buckets on the index topic", s.journalUpdates(), s.snapshot, fields)
}

// checkTopicMatches compares what a consumer of a compacted topic holds
// (read, retried while the last batch's updates may be in flight) with
// want, key by key: the same revision and parts, no key more or less.
func checkTopicMatches[U any](t testing.TB, what string, want map[string]U, read func() map[string]U, fields func(U) (int64, tension.Parts)) {
	t.Helper()
	differs := func(g U, ok bool, w U) bool {
		gr, gp := fields(g)
		wr, wp := fields(w)
		return !ok || gr != wr || !sameParts(gp, wp)
	}
	var got map[string]U
	bad := 0
	for attempt := 0; attempt < 20; attempt++ {
		got = read()
		bad = 0
		for k, w := range want {
			if g, ok := got[k]; differs(g, ok, w) {
				bad++
			}
		}
		if bad == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if bad > 0 {
		n := 0
		for k, w := range want {
			if g, ok := got[k]; differs(g, ok, w) {
				if n++; n <= 5 {
					gr, gp := fields(g)
					wr, wp := fields(w)
					t.Errorf("%s: topic rev %d %+v, journal rev %d %+v", k, gr, gp, wr, wp)
				}
			}
		}
		t.Fatalf("%d of %d %s differ from the journal", bad, len(want), what)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: the topic has %s, the journal does not", what, k)
		}
	}
	t.Logf("%s: %d, all equal to the journal", what, len(want))
}

func sameParts(a, b tension.Parts) bool {
	d := func(x, y float64) bool { return x-y < 1e-6 && y-x < 1e-6 }
	return a.Articles == b.Articles && a.DyadArticles == b.DyadArticles && a.Escalating == b.Escalating &&
		a.Deescalating == b.Deescalating && a.Mixed == b.Mixed && d(a.SumScore, b.SumScore) && d(a.SumWeight, b.SumWeight)
}

// TestIntegrationBackfillStreamAndReprocess is issue 3's demonstration on
// real Kafka and ClickHouse:
//  1. backfill 50,000 synthetic articles over two years, SIGKILL the
//     backfill mid-way and -resume it, while the sink is SIGKILLed between
//     a journal insert and its index publish: the index counts exactly
//     50,000 in every granularity and the compacted index topic, read from
//     the beginning, equals the journal bucket for bucket;
//  2. the same backfill again changes nothing;
//  3. a late article re-emits its old bucket with a higher revision to a
//     live consumer;
//  4. reprocessing a month with a changed tagger version keeps the totals,
//     changes the scores, and both versions are queryable.
func TestIntegrationBackfillStreamAndReprocess(t *testing.T) {
	s := newStack(t)
	s.extra = map[string][]string{"sink": {"SINK_TEST_KILL_AFTER_JOURNAL=4", "SINK_INDEX_CELLS=1"}}
	s.startAll()
	sinkCmd := s.procs["sink"]
	s.extra = map[string][]string{"sink": {"SINK_INDEX_CELLS=1"}} // the restarted sink publishes cells too

	const n = 50000
	from := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ck := filepath.Join(t.TempDir(), "checkpoint.json")
	args := []string{"-synthetic", strconv.Itoa(n), "-from", "2023-01-01", "-to", "2025-01-01", "-seed", "42",
		"-checkpoint", ck, "-progress", "log", "-log-every", "1s", "-batch", "2000", "-rate", "15000",
		"-order-window", "5000"} // windows well below n, so the kill lands mid-run and the resume re-sends at most one

	// 1. Kill the backfill once some batches are acknowledged, then resume.
	t0 := time.Now()
	cmd := exec.Command(filepath.Join(s.bin, "backfill"), args...)
	cmd.Env = s.env("backfill")
	var first bytes.Buffer
	cmd.Stdout, cmd.Stderr = &first, &first
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var published int64
	// Deadlines here are generous: on a loaded 2-core machine (CI may be
	// busy) the sink took over a minute for its first blocks.
	for deadline := time.Now().Add(5 * time.Minute); ; {
		var c struct {
			Stats struct{ Published int64 } `json:"stats"`
		}
		if b, err := os.ReadFile(ck); err == nil && json.Unmarshal(b, &c) == nil {
			published = c.Stats.Published
		}
		if published >= n/4 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("backfill published %d after 5 minutes:\n%s", published, first.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	t.Logf("SIGKILLed the backfill after %d acknowledged articles", published)
	out, err := s.runBackfill(append(args, "-resume")...)
	if err != nil {
		t.Fatalf("backfill -resume: %v\n%s", err, out)
	}
	t.Logf("resume:\n%s", tail(out, 600))
	if !strings.Contains(out, fmt.Sprintf("all runs: read %d, published %d, rejected 0", n, n)) &&
		!strings.Contains(out, fmt.Sprintf("published %d", n)) {
		t.Logf("note: summary %s", out)
	}

	// The sink killed itself after its 4th journal block, before publishing
	// it; a new sink replays the block and republishes its buckets.
	for deadline := time.Now().Add(5 * time.Minute); sinkCmd.Process.Signal(syscall.Signal(0)) == nil; {
		if time.Now().After(deadline) {
			t.Fatal("the sink's kill hook did not fire")
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.mu.Lock()
	delete(s.procs, "sink")
	s.mu.Unlock()
	t.Log("the sink died between a journal insert and its index publish; restarting it")
	s.start("sink")

	start := time.Now()
	s.waitTotals(n, 4*time.Minute)
	t.Logf("index totals %d in minute/hour/day %v after the resume; %v from the first backfill start (%.0f articles/s into the index, a SIGKILL, a resume and a sink restart included)",
		n, time.Since(start).Round(time.Second), time.Since(t0).Round(time.Second), n/time.Since(t0).Seconds())
	var distinct uint64
	if err := s.ch.QueryRow(context.Background(), "SELECT uniqExact(article_id) FROM articles").Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if distinct != n {
		t.Fatalf("articles table holds %d distinct articles, want %d", distinct, n)
	}
	s.checkIndexMatchesRaw(from, to)
	s.checkTopicMatchesJournal()
	s.checkCellsMatchJournal()

	// 2. The same backfill again: every article is a duplicate to the sink.
	os.Remove(ck)
	before := s.metric("sink", `tension_sink_messages_total{outcome="duplicate"}`)
	if out, err := s.runBackfill(args...); err != nil {
		t.Fatalf("second backfill: %v\n%s", err, out)
	}
	s.waitMetric("sink", `tension_sink_messages_total{outcome="duplicate"}`, before+n, 4*time.Minute)
	s.waitTotals(n, 10*time.Second)
	t.Logf("the same backfill again: %d duplicates, totals still %d", n, n)

	// 3. A late article: published last year, arriving now. A live consumer
	// (started at the end of the topic) sees its bucket re-emitted.
	late := time.Date(2024, 3, 5, 10, 20, 0, 0, time.UTC)
	bucket := tension.UpdateKey(tension.AllPair, tension.Hour, late.Truncate(time.Hour), "")
	prev := s.journalUpdates()[bucket]
	watch := exec.Command(filepath.Join(s.bin, "tension-watch"), "-json", "-pair", "*", "-interval", "hour")
	watch.Env = s.env("tension-watch")
	var wout syncBuffer
	watch.Stdout, watch.Stderr = &wout, &wout
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { watch.Process.Kill(); watch.Wait() }()
	time.Sleep(3 * time.Second) // the watcher's readers position at the end
	line, _ := json.Marshal(map[string]string{"url": "https://late.example/2024/03/05/tariff-talks",
		"title": "US and China resume tariff talks", "published_at": late.Format(time.RFC3339),
		"text": "Washington and Beijing agreed to resume trade talks after the United States raised tariffs on Chinese steel."})
	if code, body := s.post(append(line, '\n'), "application/x-ndjson"); code != http.StatusAccepted {
		t.Fatalf("POST late article: %d %s", code, body)
	}
	var seen tension.Update
	for deadline := time.Now().Add(5 * time.Minute); seen.Articles <= prev.Articles; {
		for _, l := range strings.Split(wout.String(), "\n") {
			var u tension.Update
			if json.Unmarshal([]byte(l), &u) == nil && u.Key() == bucket && u.Revision > seen.Revision {
				seen = u
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watcher did not see %s re-emitted; it printed:\n%s", bucket, tail(wout.String(), 2000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if seen.Revision <= prev.Revision || seen.Articles != prev.Articles+1 {
		t.Fatalf("late bucket %s: revision %d -> %d, articles %d -> %d", bucket, prev.Revision, seen.Revision,
			prev.Articles, seen.Articles)
	}
	t.Logf("late article: %s re-emitted, revision %d -> %d, articles %d -> %d", bucket, prev.Revision, seen.Revision,
		prev.Articles, seen.Articles)
	s.waitTotals(n+1, 30*time.Second)

	// 4. Reprocess one month with a "new" tagger version that scores
	// differently.
	mFrom, mTo := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	old := s.index("CN-US", "day", mFrom, mTo)
	var inMonth uint64
	s.ch.QueryRow(context.Background(), "SELECT uniqExact(article_id) FROM articles WHERE published_at >= ? AND published_at < ?",
		mFrom, mTo).Scan(&inMonth)
	recounted := s.metric("sink", `tension_sink_messages_total{outcome="recounted"}`)
	out, err = s.runBackfill("reprocess", "-from", "2024-03-01", "-to", "2024-04-01", "-tagger-version", "tagger-test-2",
		"-test-score-scale", "0.5")
	if err != nil {
		t.Fatalf("reprocess: %v\n%s", err, out)
	}
	t.Logf("reprocess: %s", strings.TrimSpace(tail(out, 300)))
	s.waitMetric("sink", `tension_sink_messages_total{outcome="recounted"}`, recounted+float64(inMonth), 3*time.Minute)
	s.waitTotals(n+1, 10*time.Second)
	cur := s.index("CN-US", "day", mFrom, mTo)
	v1 := s.indexVersion("CN-US", "day", mFrom, mTo, tagger.Version)
	v2 := s.indexVersion("CN-US", "day", mFrom, mTo, "tagger-test-2")
	if cur.total() != old.total() || v1.total() != old.total() || v2.total() != old.total() {
		t.Fatalf("month totals: before %d, current %d, v1 %d, v2 %d", old.total(), cur.total(), v1.total(), v2.total())
	}
	var oldScore, curScore, v1Score, v2Score float64
	for i := range old.Buckets {
		oldScore += old.Buckets[i].SumScore
	}
	for i := range cur.Buckets {
		curScore += cur.Buckets[i].SumScore
	}
	for i := range v1.Buckets {
		v1Score += v1.Buckets[i].SumScore
	}
	for i := range v2.Buckets {
		v2Score += v2.Buckets[i].SumScore
	}
	if oldScore == 0 || abs(curScore-v2Score) > 1e-6 || abs(v1Score-oldScore) > 1e-6 || abs(v2Score-oldScore/2) > 0.01*abs(oldScore)+0.05 {
		t.Fatalf("CN-US sum of scores in March 2024: before %.3f, current %.3f, v1 %.3f, v2 %.3f", oldScore, curScore, v1Score, v2Score)
	}
	t.Logf("reprocess of %d articles: totals %d unchanged; CN-US sum_score %.2f ("+tagger.Version+") -> %.2f (tagger-test-2, current)",
		inMonth, cur.total(), v1Score, v2Score)
	s.checkIndexMatchesRaw(from, to)
	s.checkTopicMatchesJournal()
	s.checkCellsMatchJournal()
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func (s *stack) indexVersion(pair, interval string, from, to time.Time, version string) indexResponse {
	s.t.Helper()
	q := fmt.Sprintf("/v1/index?pair=%s&interval=%s&from=%s&to=%s&tagger_version=%s", pair, interval,
		from.Format(time.RFC3339), to.Format(time.RFC3339), version)
	var r indexResponse
	if code := s.getJSON(q, &r); code != 200 {
		s.t.Fatalf("GET %s: %d", q, code)
	}
	return r
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// journalCells is what tension.index.cells.v1 must end with: every cell of
// the current view as the journal holds it, its revision the cell's
// journal rows.
func (s *stack) journalCells() map[string]tension.CellUpdate {
	s.t.Helper()
	rows, err := s.ch.Query(context.Background(), `SELECT toString(granularity), pair, key, bucket, sum(entries),
			sum(articles), sum(dyad_articles), sum(escalating), sum(deescalating), sum(mixed), sum(sum_score), sum(sum_weight)
		FROM index_journal WHERE kind = 'cell' AND (tagger_version = '' OR in_current = 1)
		GROUP BY granularity, pair, key, bucket`)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]tension.CellUpdate{}
	for rows.Next() {
		var (
			g, pair, key string
			bucket       time.Time
			entries      int64
			p            tension.Parts
		)
		if err := rows.Scan(&g, &pair, &key, &bucket, &entries, &p.Articles, &p.DyadArticles, &p.Escalating,
			&p.Deescalating, &p.Mixed, &p.SumScore, &p.SumWeight); err != nil {
			s.t.Fatal(err)
		}
		c, err := tension.ParseCellKey(key)
		if err != nil {
			s.t.Fatal(err)
		}
		u := tension.NewCellUpdate(pair, c, tension.Granularity(g), bucket, "", entries, p, time.Time{})
		out[u.Key()] = u
	}
	return out
}

// cellSnapshot reads the cells topic from the beginning to its end,
// keeping the highest revision per key.
func (s *stack) cellSnapshot() map[string]tension.CellUpdate {
	s.t.Helper()
	got := map[string]tension.CellUpdate{}
	for _, m := range readTopic(s.t, kafkax.Brokers(s.brokers), s.topics.cells) {
		var u tension.CellUpdate
		if err := json.Unmarshal(m.Value, &u); err != nil {
			s.t.Fatalf("cell update %q: %v", m.Value, err)
		}
		if string(m.Key) != u.Key() {
			s.t.Fatalf("cell update keyed %q says %q", m.Key, u.Key())
		}
		if prev, ok := got[u.Key()]; !ok || u.Revision > prev.Revision {
			got[u.Key()] = u
		}
	}
	return got
}

// checkCellsMatchJournal: with -index-cells, a consumer of the cells topic
// ends with the journal's state of every cell, through the sink's death
// between a journal block and its publish and through a recount.
func (s *stack) checkCellsMatchJournal() {
	s.t.Helper()
	want := s.journalCells()
	if len(want) == 0 {
		s.t.Fatal("the journal holds no cells")
	}
	fields := func(u tension.CellUpdate) (int64, tension.Parts) { return u.Revision, u.Parts }
	checkTopicMatches(s.t, "cells on the cells topic", want, s.cellSnapshot, fields)
}

// readTopic reads every message of topic, partition by partition, up to
// the end offsets it finds first.
func readTopic(t testing.TB, brokers []string, topic string) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	transport := &kafka.Transport{MetadataTTL: time.Second}
	defer transport.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: transport}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil {
		t.Fatalf("metadata of %s: %v %+v", topic, err, md)
	}
	var parts []int
	for _, p := range md.Topics[0].Partitions {
		parts = append(parts, p.ID)
	}
	first, next, err := kafkax.PartitionBounds(ctx, brokers, topic, parts)
	if err != nil {
		t.Fatal(err)
	}
	var out []kafka.Message
	for _, p := range parts {
		if next[p] <= first[p] {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p, MaxBytes: 10 << 20})
		if err := r.SetOffset(first[p]); err != nil {
			t.Fatal(err)
		}
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				r.Close()
				t.Fatalf("read %s/%d: %v", topic, p, err)
			}
			out = append(out, m)
			if m.Offset >= next[p]-1 {
				break
			}
		}
		r.Close()
	}
	return out
}
