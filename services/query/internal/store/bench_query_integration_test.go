package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// The 10-million-article benchmark database. It is kept between runs (the
// load takes minutes) and reloaded when its row count is not complete;
// TENSION_BENCH_RELOAD=1 forces a reload.
const (
	benchDB       = "tension_bench_query"
	benchArticles = 10_000_000
	benchBatch    = 1_000_000
	benchYear     = 1704067200 // 2024-01-01T00:00:00Z; articles spread evenly over 365 days
)

// The synthetic rows, generated inside ClickHouse from numbers(): article n
// is published at benchYear + n·3.1536 s; 60 % are on a pair (30 % CN-US),
// each with one dyad and one cue found in its text, and one entity. The
// journal is what the sink writes for them: bucket rows per granularity for
// the current view (”) and the tagger version ('v1'), and article ledger
// rows for both.
const (
	benchSource = `
SELECT number AS n,
       toUUID(concat('00000000-0000-5000-8000-', substring(concat('000000000000', hex(number)), length(hex(number)) + 1, 12))) AS id,
       toDateTime(%d + intDiv(number * 31536, 10000)) AS t,
       arrayElement(['CN-US', 'CN-US', 'CN-US', 'EU-US', 'CN-JP', 'RU-US', '', '', '', ''], number %% 10 + 1) AS p,
       ((number * 7919) %% 200) / 100 - 1 AS tn
FROM numbers(%d, %d)`

	benchArticlesSQL = `INSERT INTO articles (article_id, tagger_version, published_at, received_at, enriched_at, url, source,
    title, text, relevant, countries, topics, pairs, src_partition, src_offset, version)
SELECT id, 'v1', t, t, t, concat('https://bench.example/', toString(n)), 'Bench Wire', concat('Bench story ', toString(n)),
       concat('Officials said talks stalled. Washington raised tariffs on Chinese goods in story ', toString(n), '.'),
       toUInt8(p != ''), ['CN', 'US'], ['tariffs'], if(p = '', emptyArrayString(), [p]), toInt32(n %% 12), toInt64(n), toUInt64(1)
FROM (%s)`

	benchDyadsSQL = `INSERT INTO dyads (pair, published_at, article_id, tagger_version, tension, direction, weight, n_cues, version)
SELECT p, t, id, 'v1', tn, if(tn > 0.1, 'escalation', if(tn < -0.1, 'de-escalation', 'neutral')), abs(tn) * 10, toUInt16(1), toUInt64(1)
FROM (%s) WHERE p != ''`

	// "Officials said " is 15 bytes, "talks" 5; "Officials said talks stalled. Washington " is 41, "raised tariffs" 14.
	benchCuesSQL = `INSERT INTO cues (pair, published_at, article_id, tagger_version, idx, text, category, sentence, start_offset, end_offset,
    actor, target, polarity, weight, hedged, negated, future, background, source, source_type, version)
SELECT p, t, id, 'v1', toUInt16(0), if(tn >= 0, 'raised tariffs', 'talks'), if(tn >= 0, 'tariff', 'talks'),
       toInt16(if(tn >= 0, 1, 0)), toUInt32(if(tn >= 0, 41, 15)), toUInt32(if(tn >= 0, 55, 20)),
       if(tn >= 0, 'US', 'CN'), if(tn >= 0, 'CN', 'US'), toInt8(if(tn >= 0, 1, -1)), abs(tn) * 10,
       toUInt8(n %% 7 = 0), toUInt8(0), toUInt8(0), toUInt8(0), 'officials', 'GOV', toUInt64(1)
FROM (%s) WHERE p != ''`

	benchEntitiesSQL = `INSERT INTO entities (published_at, article_id, tagger_version, idx, text, type, canonical, country, start_offset, end_offset, version)
SELECT t, id, 'v1', toUInt16(0), e, 'GOV', e, if(e = 'Washington', 'US', if(e = 'Beijing', 'CN', '')), toUInt32(30), toUInt32(40), toUInt64(1)
FROM (SELECT *, arrayElement(['Washington', 'Beijing', 'Commerce Ministry', 'Brussels', 'Tokyo'], n %% 5 + 1) AS e FROM (%s))`

	benchLedgerSQL = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket, src_partition, position,
    entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight)
SELECT 'article', toString(id), 'none', pp, v, t, 0, 0, 1, toInt64(pp = '*'), toInt64(pp != '*'),
       toInt64(pp != '*' AND tn > 0.1), toInt64(pp != '*' AND tn < -0.1), 0, if(pp = '*', 0, tn), if(pp = '*', 0, abs(tn) * 10)
FROM (SELECT *, tupleElement(pv, 1) AS pp, tupleElement(pv, 2) AS v
      FROM (%s)
      ARRAY JOIN if(p = '', [('*', ''), ('*', 'v1')], [('*', ''), ('*', 'v1'), (p, ''), (p, 'v1')]) AS pv)`

	// Bucket rows from the raw tables, per granularity (step in seconds).
	benchBucketsAllSQL = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket, src_partition, position,
    entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight)
SELECT 'bucket', '', '%s', '*', v, toDateTime(intDiv(toUInt32(published_at), %d) * %d) AS b, 0, 0, 1, count(), 0, 0, 0, 0, 0, 0
FROM articles ARRAY JOIN ['', 'v1'] AS v
GROUP BY v, b`

	benchBucketsPairSQL = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket, src_partition, position,
    entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight)
SELECT 'bucket', '', '%s', pair, v, toDateTime(intDiv(toUInt32(published_at), %d) * %d) AS b, 0, 0, 1, 0, count(),
       countIf(direction = 'escalation'), countIf(direction = 'de-escalation'), countIf(direction = 'mixed'), sum(tension), sum(weight)
FROM dyads ARRAY JOIN ['', 'v1'] AS v
GROUP BY pair, v, b`
)

// benchLoad makes sure benchDB holds the 10 million articles and returns a
// connection to it.
func benchLoad(b *testing.B) driver.Conn {
	chtest.Integration(b)
	ctx := context.Background()
	conn, err := chstore.Open(ctx, chtest.Config(benchDB))
	if err != nil {
		b.Fatalf("integration: ClickHouse on %s: %v (start it with `make up`)", chtest.Addr(), err)
	}
	b.Cleanup(func() { conn.Close() })
	if err := chstore.Migrate(ctx, chtest.Config(benchDB), conn, slog.New(slog.DiscardHandler)); err != nil {
		b.Fatal(err)
	}
	var n, buckets uint64
	_ = conn.QueryRow(ctx, "SELECT count() FROM articles").Scan(&n)
	_ = conn.QueryRow(ctx, "SELECT count() FROM index_journal WHERE kind = 'bucket' AND granularity = 'day'").Scan(&buckets)
	if n == benchArticles && buckets > 0 && os.Getenv("TENSION_BENCH_RELOAD") != "1" {
		b.Logf("%s: %d articles already loaded", benchDB, n)
		return conn
	}
	for _, t := range []string{"articles", "dyads", "cues", "entities", "index_journal"} {
		if err := conn.Exec(ctx, "TRUNCATE TABLE "+t); err != nil {
			b.Fatal(err)
		}
	}
	run := func(what, sql string) time.Duration {
		start := time.Now()
		if err := conn.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", what, err)
		}
		return time.Since(start)
	}
	start := time.Now()
	var raw, ledger time.Duration
	for lo := 0; lo < benchArticles; lo += benchBatch {
		src := fmt.Sprintf(benchSource, benchYear, lo, benchBatch)
		raw += run("articles", fmt.Sprintf(benchArticlesSQL, src))
		raw += run("dyads", fmt.Sprintf(benchDyadsSQL, src))
		raw += run("cues", fmt.Sprintf(benchCuesSQL, src))
		raw += run("entities", fmt.Sprintf(benchEntitiesSQL, src))
		ledger += run("ledger", fmt.Sprintf(benchLedgerSQL, src))
	}
	var rollup time.Duration
	for _, g := range []struct {
		name string
		step int
	}{{"minute", 60}, {"hour", 3600}, {"day", 86400}} {
		rollup += run("buckets *", fmt.Sprintf(benchBucketsAllSQL, g.name, g.step, g.step))
		rollup += run("buckets pairs", fmt.Sprintf(benchBucketsPairSQL, g.name, g.step, g.step))
	}
	opt := run("optimize", "OPTIMIZE TABLE index_journal FINAL")
	var rows uint64
	_ = conn.QueryRow(ctx, "SELECT sum(rows) FROM system.parts WHERE database = currentDatabase() AND active").Scan(&rows)
	b.Logf("loaded %d articles into %s in %s (raw tables %s, ledger rows %s, rollups %s, optimize journal %s; %d rows in all)",
		benchArticles, benchDB, time.Since(start).Round(time.Second), raw.Round(time.Second), ledger.Round(time.Second),
		rollup.Round(time.Second), opt.Round(time.Second), rows)
	return conn
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

// BenchmarkIntegrationQuery10M measures the API over HTTP against 10
// million synthetic articles (a year, 2024): the hourly CN-US index for the
// year (target: median ≤ 100 ms) and the drivers of one hour bucket
// (target: median ≤ 200 ms), plus the range lists. `make bench-query`.
func BenchmarkIntegrationQuery10M(b *testing.B) {
	conn := benchLoad(b)
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
	b.Run("index-hourly-year-CN-US", func(b *testing.B) {
		latencies(b, fetch("/v1/index?pair=CN-US&interval=hour&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", 8000*100))
	})
	b.Run("index-daily-year-CN-US", func(b *testing.B) {
		latencies(b, fetch("/v1/index?pair=CN-US&interval=day&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", 300*100))
	})
	b.Run("drivers-hour-bucket", func(b *testing.B) {
		latencies(b, fetch("/v1/drivers?pair=CN-US&from=2024-07-04T12:00:00Z&to=2024-07-04T13:00:00Z&limit=20", 20*300))
	})
	b.Run("drivers-day-bucket", func(b *testing.B) {
		latencies(b, fetch("/v1/drivers?pair=CN-US&from=2024-07-04T00:00:00Z&to=2024-07-05T00:00:00Z&limit=20", 20*300))
	})
	b.Run("entities-top-day", func(b *testing.B) {
		latencies(b, fetch("/v1/entities/top?pair=CN-US&from=2024-07-04T00:00:00Z&to=2024-07-05T00:00:00Z", 100))
	})
	b.Run("cues-top-day", func(b *testing.B) {
		latencies(b, fetch("/v1/cues/top?pair=CN-US&from=2024-07-04T00:00:00Z&to=2024-07-05T00:00:00Z", 100))
	})
}
