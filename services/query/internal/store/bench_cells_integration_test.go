package store_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// The split's cells for the 10-million-article benchmark, as the sink writes
// them (docs/views.md): per article a language cell of "*" and per dyad one
// cell of its pair (actor: the side of the article's one cue when it is on
// the pair; speaker GOV: government; lang en), as bucket rows of every
// granularity, which is what the queries read. The article rows of the cells
// (as many again as the ledger's) are left out: on this machine their
// 10-million-row insert outlasted the client's read timeout.
const (
	benchCellsAllSQL = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket, src_partition, position,
    entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight)
SELECT 'cell', '||en', '%s', '*', v, toDateTime(intDiv(toUInt32(published_at), %d) * %d) AS b, 0, 0, 1, count(), 0, 0, 0, 0, 0, 0
FROM articles ARRAY JOIN ['', 'v1'] AS v
GROUP BY v, b`
	benchCellsPairSQL = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket, src_partition, position,
    entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight)
SELECT 'cell', concat(if(position(pair, a) > 0, a, ''), '|government|en') AS k, '%s', pair, v,
       toDateTime(intDiv(toUInt32(published_at), %d) * %d) AS b, 0, 0, 1, 0, count(),
       countIf(direction = 'escalation'), countIf(direction = 'de-escalation'), countIf(direction = 'mixed'), sum(tension), sum(weight)
FROM (SELECT pair, published_at, direction, tension, weight, if(tension >= 0, 'US', 'CN') AS a FROM dyads) ARRAY JOIN ['', 'v1'] AS v
GROUP BY pair, k, v, b`
)

// BenchmarkIntegrationQuery10MCells: the 10-million-article queries with
// the split's cells in the journal (the unfiltered index must not slow
// down: it reads 'bucket' rows only), and the split and lead-lag reads.
// cd services/query && TENSION_INTEGRATION=1 go test -run '^$' -bench Query10MCells -benchtime 30x ./internal/store/
func BenchmarkIntegrationQuery10MCells(b *testing.B) {
	conn, _ := benchLoad(b, benchSets[0])
	ctx := context.Background()
	var cells uint64
	_ = conn.QueryRow(ctx, "SELECT count() FROM index_journal WHERE kind = 'cell'").Scan(&cells)
	if cells == 0 {
		start := time.Now()
		for _, g := range []struct {
			name string
			step int
		}{{"minute", 60}, {"hour", 3600}, {"day", 86400}} {
			for _, sql := range []string{benchCellsAllSQL, benchCellsPairSQL} {
				if err := conn.Exec(ctx, fmt.Sprintf(sql, g.name, g.step, g.step)); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := conn.Exec(ctx, "OPTIMIZE TABLE index_journal FINAL"); err != nil {
			b.Fatal(err)
		}
		b.Logf("added the split's cells in %s", time.Since(start).Round(time.Second))
	}
	var rows, cellRows uint64
	_ = conn.QueryRow(ctx, "SELECT count(), countIf(kind = 'cell') FROM index_journal").Scan(&rows, &cellRows)
	b.Logf("index_journal: %d rows, %d of them cell rows", rows, cellRows)
	srv := httptest.NewServer(api.New(store.New(conn, 30*time.Second), api.Config{}))
	defer srv.Close()
	fetch := func(path string, wantBody int) func() error {
		return func() error {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			n, _ := io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != 200 || n < int64(wantBody) {
				return fmt.Errorf("GET %s: %d, %d bytes", path, resp.StatusCode, n)
			}
			return nil
		}
	}
	const year = "from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z"
	b.Run("index-hourly-year-CN-US", func(b *testing.B) {
		latencies(b, fetch("/v1/index?pair=CN-US&interval=hour&"+year, 8000*100))
	})
	b.Run("index-hourly-year-CN-US-actor-US", func(b *testing.B) {
		latencies(b, fetch("/v1/index?pair=CN-US&interval=hour&actor=US&"+year, 8000*100))
	})
	b.Run("index-hourly-year-CN-US-window-30d", func(b *testing.B) {
		latencies(b, fetch("/v1/index?pair=CN-US&interval=hour&window=30d&"+year, 8000*100))
	})
	b.Run("leadlag-daily-year-actors", func(b *testing.B) {
		latencies(b, fetch("/v1/leadlag?pair=CN-US&a=actor:US&b=actor:CN&max_lag=14d&"+year, 1000))
	})
}

// latencies runs get once per b.Loop iteration and reports the median and
// 95th percentile in ms.
func latencies(b *testing.B, get func() error) {
	var ds []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := get(); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	ms := func(q float64) float64 {
		return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.95), "p95-ms")
	b.ReportMetric(0, "ns/op")
}
