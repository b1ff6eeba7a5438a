package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/synth"
)

// send posts n synthetic articles in NDJSON batches at about rate articles/s,
// retrying a batch on 503. It runs in its own goroutine, so it reports
// failures on errc instead of failing the test.
func (s *stack) send(gen *synth.Generator, n, batch, rate int, errc chan<- error) {
	defer close(errc)
	start := time.Now()
	for sent := 0; sent < n; {
		k := min(batch, n-sent)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for range k {
			enc.Encode(gen.Next())
		}
		for attempt := 0; ; attempt++ {
			req, _ := http.NewRequest("POST", "http://"+s.addrs["ingest"]+"/v1/articles", bytes.NewReader(buf.Bytes()))
			req.Header.Set("Authorization", "Bearer "+s.token)
			req.Header.Set("Content-Type", "application/x-ndjson")
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					break
				}
				s.refused.Add(1)
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			if attempt == max(s.sendAttempts, 20) {
				errc <- fmt.Errorf("batch at %d: %w", sent, err)
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
		sent += k
		if rate > 0 {
			if ahead := time.Duration(float64(sent)/float64(rate)*float64(time.Second)) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
	}
}

// TestIntegrationExactlyOnceUnderSIGKILL streams 20,000 articles while the
// sink and then the enricher are killed with SIGKILL five times each at
// random moments and restarted. Afterwards every article is counted exactly
// once in every granularity, and the index equals the raw rows.
func TestIntegrationExactlyOnceUnderSIGKILL(t *testing.T) {
	s := newStack(t)
	s.startAll()
	const n = 20000
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	seed := rand.Uint64()
	t.Logf("synthetic seed %d", seed)
	errc := make(chan error, 1)
	go s.send(synth.New(seed, from, to), n, 500, 1000, errc)

	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range 10 {
		victim := "sink"
		if i >= 5 {
			victim = "enricher"
		}
		time.Sleep(time.Duration(300+rng.IntN(2000)) * time.Millisecond)
		t.Logf("kill -9 %s (%d)", victim, i%5+1)
		s.signal(victim, syscall.SIGKILL)
		s.start(victim)
	}
	if err := <-errc; err != nil {
		t.Fatalf("sending: %v", err)
	}
	hours := s.waitVisible("CN-US", "hour", from, to, n, 5*time.Minute)

	s.checkExact(s.ch, "the index", n)
	s.checkIndexMatchesRaw(from, to)
	s.checkAPIMatchesRaw(hours, from, to)
	s.checkCellsAddUp(n)
	dups, replayed := s.recoveries("sink")
	t.Logf("across %d sink processes: %d duplicate articles skipped, %d replayed messages skipped by the ledger",
		s.starts["sink"], dups, replayed)
}

// recoveries adds up, over every run of a service, the duplicates and
// replays its flush log lines report: the evidence that the kills landed
// between a write and a commit and that the sink recognised the replay.
func (s *stack) recoveries(name string) (dups, replayed int) {
	s.logRecords(name+".*", func(line []byte, _ string) {
		var l struct {
			Msg        string `json:"msg"`
			Duplicates int    `json:"duplicates"`
			Replayed   int    `json:"replayed"`
		}
		if json.Unmarshal(line, &l) == nil && l.Msg == "flushed" {
			dups += l.Duplicates
			replayed += l.Replayed
		}
	})
	return dups, replayed
}

// logRecords calls fn with each JSON line, and its msg, of the logs of
// every run of the services whose log files match pattern ("sink*",
// "sink-3.*"), file by file in name order; other lines are skipped.
func (s *stack) logRecords(pattern string, fn func(line []byte, msg string)) {
	files, _ := filepath.Glob(filepath.Join(s.logs, pattern+".log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, line := range bytes.Split(b, []byte("\n")) {
			var l struct {
				Msg string `json:"msg"`
			}
			if json.Unmarshal(line, &l) == nil {
				fn(line, l.Msg)
			}
		}
	}
}

// checkAPIMatchesRaw compares the hourly CN-US buckets the API served with
// counts recomputed from the raw tables.
func (s *stack) checkAPIMatchesRaw(api indexResponse, from, to time.Time) {
	s.t.Helper()
	type parts struct{ articles, dyad, esc, deesc int64 }
	raw := map[int64]*parts{}
	get := func(h time.Time) *parts {
		k := h.Unix()
		if raw[k] == nil {
			raw[k] = &parts{}
		}
		return raw[k]
	}
	ctx := context.Background()
	rows, err := s.ch.Query(ctx, `SELECT toStartOfHour(pub) AS h, count() FROM
		(SELECT article_id, argMax(published_at, version) AS pub FROM articles GROUP BY article_id)
		WHERE pub >= ? AND pub < ? GROUP BY h`, from, to)
	if err != nil {
		s.t.Fatal(err)
	}
	for rows.Next() {
		var h time.Time
		var c uint64
		rows.Scan(&h, &c)
		get(h).articles = int64(c)
	}
	rows.Close()
	rows, err = s.ch.Query(ctx, `SELECT toStartOfHour(published_at) AS h, count(),
		countIf(direction = 'escalation'), countIf(direction = 'de-escalation')
		FROM dyads FINAL WHERE pair = 'CN-US' AND published_at >= ? AND published_at < ? GROUP BY h`, from, to)
	if err != nil {
		s.t.Fatal(err)
	}
	for rows.Next() {
		var h time.Time
		var c, e, d uint64
		rows.Scan(&h, &c, &e, &d)
		p := get(h)
		p.dyad, p.esc, p.deesc = int64(c), int64(e), int64(d)
	}
	rows.Close()
	seen := 0
	for _, b := range api.Buckets {
		want := raw[b.Start.Unix()]
		if want == nil {
			want = &parts{}
		}
		if b.Articles != want.articles || b.DyadArticles != want.dyad || b.Escalating != want.esc || b.Deescalating != want.deesc {
			s.t.Errorf("bucket %s: API %d/%d/%d/%d, raw %d/%d/%d/%d (articles/dyad/esc/de-esc)", b.Start,
				b.Articles, b.DyadArticles, b.Escalating, b.Deescalating, want.articles, want.dyad, want.esc, want.deesc)
		}
		if b.Articles > 0 {
			seen++
		}
	}
	nonEmpty := 0
	for _, p := range raw {
		if p.articles > 0 {
			nonEmpty++
		}
	}
	if seen != nonEmpty {
		s.t.Errorf("API served %d non-empty hours, raw rows have %d", seen, nonEmpty)
	}
}

// checkExact asserts n articles in every granularity of the index, and n
// distinct articles stored, as conn (where) reads them.
func (s *stack) checkExact(conn driver.Conn, where string, n int) {
	s.t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT toString(granularity), sum(articles) FROM index_journal
		WHERE kind = 'bucket' AND pair = '*' AND (tagger_version = '' OR in_current = 1) GROUP BY granularity`)
	if err != nil {
		s.t.Fatal(err)
	}
	got := map[string]int64{}
	for rows.Next() {
		var g string
		var c int64
		if err := rows.Scan(&g, &c); err != nil {
			s.t.Fatal(err)
		}
		got[g] = c
	}
	rows.Close()
	for _, g := range []string{"minute", "hour", "day"} {
		if got[g] != int64(n) {
			s.t.Errorf("%s: %s counts %d articles, want %d", where, g, got[g], n)
		}
	}
	var distinct uint64
	if err := conn.QueryRow(ctx, "SELECT uniqExact(article_id) FROM articles").Scan(&distinct); err != nil {
		s.t.Fatal(err)
	}
	if distinct != uint64(n) {
		s.t.Errorf("%s: %d distinct articles stored, want %d", where, distinct, n)
	}
}
