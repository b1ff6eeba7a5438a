package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/pkg/testenv"
	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// `make bench-query` (BenchmarkIntegrationQueryAPI): the query API over
// HTTP on a year of synthetic articles (2024) at two sizes, 10 million and
// 1 million, each in a database of its own that is loaded once and kept
// for later runs (TENSION_BENCH_RELOAD=1 reloads both, =1M or =10M one of
// them; a database loaded by an older generator is reloaded). For each size
// it
//
//  1. checks that every timed request's answer equals the oracle's (the
//     old SQL, oracle_integration_test.go) on the same data;
//  2. right after a load, times every request while ClickHouse still
//     merges the parts the load wrote ("after load");
//  3. waits until no merge runs in the database and times them again
//     ("steady");
//
// and prints p50/p95 over HTTP, the CPU a request costs (the Go process:
// client and server; ClickHouse: from system.query_log) and the rows
// ClickHouse read, and the ratio of the 10 M figures to the 1 M ones. The
// CPU and row figures do not move with the machine's load; the times do.
const (
	benchYear = 1704067200 // 2024-01-01T00:00:00Z; articles spread evenly over 365 days
	// benchGenerator names the generator below; a database loaded by
	// another one is reloaded.
	benchGenerator = 3 // 3: the rollups of migration 0010
	// benchChunk articles are written per INSERT (per table), as a sink
	// writes batches: the parts ClickHouse merges after a load.
	benchChunk = 50_000
)

// A request still slow after benchSlowRequests samples and
// benchSlowBudget is not repeated further: 30 requests of several seconds
// would take the benchmark's whole time.
const (
	benchSlowRequests = 5
	benchSlowBudget   = 20 * time.Second
)

type benchSet struct {
	name     string
	db       string
	articles int
}

var benchSets = []benchSet{
	{"10M", "tension_bench_query", 10_000_000},
	{"1M", "tension_bench_query_1m", 1_000_000},
}

// The synthetic rows, generated inside ClickHouse from numbers(): article n
// has a random-looking id (UUIDv5-shaped, from a hash of n: ids are not in
// time order, as real ones are not), is published at benchYear + n·365 d/N;
// 60 % are on a pair (30 % CN-US), each with one dyad and one cue found in
// its text, and one entity. 1 % are retagged: a second tagger version v2
// (newer) scores the pair the other way, and for half of them no longer
// scores it at all, so the current view differs from v1's. The journal is
// what the sink writes for them: bucket rows per granularity for the
// current view (”) and each version's own, and article ledger rows.
const (
	benchSource = `
SELECT number AS n,
       hex(sipHash128(toString(number))) AS h,
       toUUID(concat(substring(h, 1, 8), '-', substring(h, 9, 4), '-5', substring(h, 14, 3), '-8', substring(h, 18, 3), '-', substring(h, 21, 12))) AS id,
       toDateTime(%d + intDiv(number * 31536000, %d)) AS t,
       arrayElement(['CN-US', 'CN-US', 'CN-US', 'EU-US', 'CN-JP', 'RU-US', '', '', '', ''], number %% 10 + 1) AS p,
       ((number * 7919) %% 200) / 100 - 1 AS tn,
       intHash32(number) %% 100 = 0 AS r,
       intHash32(number) %% 200 = 0 AS off
FROM numbers(%d, %d)`

	// Every version of every article: v1, and v2 for the retagged; tv is
	// the version number, c the version's tension.
	benchVersions = `
SELECT *, tv, concat('v', toString(tv)) AS ver, if(tv = 2, -tn, tn) AS c
FROM (%s) ARRAY JOIN if(r, [1, 2], [1]) AS tv`

	benchArticlesSQL = `INSERT INTO articles (article_id, tagger_version, published_at, received_at, enriched_at, url, source,
    title, text, relevant, countries, topics, pairs, src_partition, src_offset, version)
SELECT id, ver, t, t, t, concat('https://bench.example/', toString(n)), 'Bench Wire', concat('Bench story ', toString(n)),
       concat('Officials said talks stalled. Washington raised tariffs on Chinese goods in story ', toString(n), '.'),
       toUInt8(p != ''), ['CN', 'US'], ['tariffs'], if(p = '' OR (tv = 2 AND off), emptyArrayString(), [p]), toInt32(n %% 12), toInt64(n), toUInt64(tv)
FROM (%s)`

	benchDyadsSQL = `INSERT INTO dyads (pair, published_at, article_id, tagger_version, tension, direction, weight, n_cues, version)
SELECT p, t, id, ver, c, if(c > 0.1, 'escalation', if(c < -0.1, 'de-escalation', 'neutral')), abs(c) * 10, 1, toUInt64(tv)
FROM (%s) WHERE p != '' AND NOT (tv = 2 AND off)`

	// "Officials said " is 15 bytes, "talks" 5; "Officials said talks stalled. Washington " is 41, "raised tariffs" 14.
	benchCuesSQL = `INSERT INTO cues (pair, published_at, article_id, tagger_version, idx, text, category, sentence, start_offset, end_offset,
    actor, target, polarity, weight, hedged, negated, future, background, source, source_type, version)
SELECT p, t, id, ver, 0, if(c >= 0, 'raised tariffs', 'talks'), if(c >= 0, 'tariff', 'talks'),
       if(c >= 0, 1, 0), if(c >= 0, 41, 15), if(c >= 0, 55, 20),
       if(c >= 0, 'US', 'CN'), if(c >= 0, 'CN', 'US'), if(c >= 0, 1, -1), abs(c) * 10,
       n %% 7 = 0, 0, 0, 0, 'officials', 'GOV', toUInt64(tv)
FROM (%s) WHERE p != '' AND NOT (tv = 2 AND off)`

	benchEntitiesSQL = `INSERT INTO entities (published_at, article_id, tagger_version, idx, text, type, canonical, country, start_offset, end_offset, version)
SELECT t, id, ver, 0, e, 'GOV', e, if(e = 'Washington', 'US', if(e = 'Beijing', 'CN', if(e = 'Tokyo', 'JP', ''))), 30, 40, toUInt64(tv)
FROM (SELECT *, if(tv = 2, 'Tokyo', arrayElement(['Washington', 'Beijing', 'Commerce Ministry', 'Brussels', 'Tokyo'], n %% 5 + 1)) AS e FROM (%s))`

	benchLedgerSQL = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket, src_partition, position,
    entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight)
SELECT 'article', toString(id), 'none', pp, v, t, 0, 0, 1, toInt64(pp = '*'), toInt64(pp != '*'),
       toInt64(pp != '*' AND tn > 0.1), toInt64(pp != '*' AND tn < -0.1), 0, if(pp = '*', 0, tn), if(pp = '*', 0, abs(tn) * 10)
FROM (SELECT *, tupleElement(pv, 1) AS pp, tupleElement(pv, 2) AS v
      FROM (%s)
      ARRAY JOIN if(p = '', [('*', ''), ('*', 'v1')], [('*', ''), ('*', 'v1'), (p, ''), (p, 'v1')]) AS pv)`

	// benchBucketsSQL writes the chunk's bucket rows of one granularity:
	// every version's own view and the current view (the newest version of
	// each article), one row per pair and bucket, as a sink's block does.
	// args: granularity, step, step, versions source (three times).
	benchBucketsSQL = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket, src_partition, position,
    entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight)
SELECT 'bucket', '', '%s', pr, v, toDateTime(intDiv(toUInt32(t), %d) * %d) AS b, 0, 0, 1,
       sum(a), sum(d), sum(e), sum(de), 0, sum(sc), sum(w)
FROM (
    SELECT ver AS v, '*' AS pr, t, toInt64(1) AS a, toInt64(0) AS d, toInt64(0) AS e, toInt64(0) AS de, toFloat64(0) AS sc, toFloat64(0) AS w
    FROM (%s)
    UNION ALL
    SELECT ver AS v, p AS pr, t, toInt64(0) AS a, toInt64(1) AS d, toInt64(c > 0.1) AS e, toInt64(c < -0.1) AS de, toFloat64(c) AS sc, toFloat64(abs(c) * 10) AS w
    FROM (%s) WHERE p != '' AND NOT (tv = 2 AND off)
    UNION ALL
    SELECT '' AS v, if(pv = '*', '*', p) AS pr, t, toInt64(pv = '*') AS a, toInt64(pv != '*') AS d, toInt64(pv != '*' AND c > 0.1) AS e,
           toInt64(pv != '*' AND c < -0.1) AS de, toFloat64(if(pv = '*', 0, c)) AS sc, toFloat64(if(pv = '*', 0, abs(c) * 10)) AS w
    FROM (%s) ARRAY JOIN if(p = '' OR (tv = 2 AND off), ['*'], ['*', p]) AS pv
    WHERE tv = if(r, 2, 1)
)
GROUP BY v, pr, b`
)

// benchLoad makes sure set's database holds its articles, generated by
// this generator, and returns a writer connection to it and whether it
// was loaded now.
func benchLoad(b *testing.B, set benchSet) (driver.Conn, bool) {
	ctx := context.Background()
	cfg := chtest.Config(set.db)
	cfg.ReadTimeout = 30 * time.Minute // an INSERT … SELECT sends nothing back until it is done
	conn, err := chstore.Open(ctx, cfg)
	if err != nil {
		b.Fatalf("integration: ClickHouse on %s: %v (start it with `make up`)", chtest.Addr(), err)
	}
	b.Cleanup(func() { conn.Close() })
	if err := chstore.Migrate(ctx, chtest.Config(set.db), conn, slog.New(slog.DiscardHandler)); err != nil {
		b.Fatal(err)
	}
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_meta (generator UInt32, articles UInt64, loaded DateTime)
		ENGINE = MergeTree ORDER BY loaded`); err != nil {
		b.Fatal(err)
	}
	var gen uint32
	var n uint64
	_ = conn.QueryRow(ctx, "SELECT argMax(generator, loaded), argMax(articles, loaded) FROM bench_meta").Scan(&gen, &n)
	reload := os.Getenv("TENSION_BENCH_RELOAD")
	if gen == benchGenerator && n == uint64(set.articles) && reload != "1" && reload != set.name {
		b.Logf("%s: %d articles already loaded (TENSION_BENCH_RELOAD=1 reloads)", set.db, n)
		return conn, false
	}
	for _, t := range []string{"articles", "article_versions", "dyads", "cues", "entities", "index_journal", "bench_meta"} {
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
	var raw, journal time.Duration
	for lo := 0; lo < set.articles; lo += benchChunk {
		src := fmt.Sprintf(benchSource, benchYear, set.articles, lo, min(benchChunk, set.articles-lo))
		vers := fmt.Sprintf(benchVersions, src)
		raw += run("articles", fmt.Sprintf(benchArticlesSQL, vers))
		raw += run("dyads", fmt.Sprintf(benchDyadsSQL, vers))
		raw += run("cues", fmt.Sprintf(benchCuesSQL, vers))
		raw += run("entities", fmt.Sprintf(benchEntitiesSQL, vers))
		journal += run("ledger", fmt.Sprintf(benchLedgerSQL, src))
		for _, g := range []tension.Granularity{tension.Minute, tension.Hour, tension.Day} {
			step := int(g.Duration() / time.Second)
			journal += run("buckets", fmt.Sprintf(benchBucketsSQL, g, step, step, vers, vers, vers))
		}
	}
	// The rollups a sink writes for these rows, a month at a time (an
	// article's versions share their time here).
	for m := time.Unix(benchYear, 0).UTC(); m.Year() == 2024; m = m.AddDate(0, 1, 0) {
		for _, sql := range chtest.RollupSQL(m, m.AddDate(0, 1, 0)) {
			journal += run("rollups", sql)
		}
	}
	if err := conn.Exec(ctx, "INSERT INTO bench_meta (generator, articles, loaded) SELECT ?, ?, now()", uint32(benchGenerator), uint64(set.articles)); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d articles into %s in %s (raw tables %s, journal %s) in INSERTs of %d articles; %s",
		set.articles, set.db, time.Since(start).Round(time.Second), raw.Round(time.Second), journal.Round(time.Second),
		benchChunk, partsSummary(b, conn))
	return conn, true
}

// partsSummary says how many rows and active parts each table has.
func partsSummary(tb testing.TB, conn driver.Conn) string {
	rows, err := conn.Query(context.Background(), `SELECT table, sum(rows), count() FROM system.parts
		WHERE database = currentDatabase() AND active GROUP BY table ORDER BY table`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var table string
		var n, parts uint64
		if err := rows.Scan(&table, &n, &parts); err != nil {
			tb.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d rows in %d parts", table, n, parts))
	}
	return strings.Join(out, ", ")
}

// waitMerges waits until no merge has run in the database for three
// checks in a row, at most limit.
func waitMerges(tb testing.TB, conn driver.Conn, limit time.Duration) time.Duration {
	start := time.Now()
	quiet := 0
	for quiet < 3 && time.Since(start) < limit {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM system.merges WHERE database = currentDatabase()").Scan(&n); err != nil {
			tb.Fatal(err)
		}
		if n == 0 {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(2 * time.Second)
	}
	return time.Since(start)
}

// waitQueries waits until no query whose id starts with prefix runs, at
// most limit, and returns how long it waited.
func waitQueries(tb testing.TB, conn driver.Conn, prefix string, limit time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < limit {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM system.processes WHERE startsWith(query_id, ?)", prefix).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(2 * time.Second)
	}
	return time.Since(start)
}

// benchQuery is one request the dashboard makes for a range of up to a year
// at hourly grain, and the oracle case that checks its answer.
type benchQuery struct {
	name, path string
	minBody    int64
	check      oracleCase
	// checkUpTo: the largest set the oracle check runs on. The ranked
	// lists over a year are checked at 1 M only: at 10 M the old SQL (and
	// the new, which reads the same raw rows) takes minutes a request on
	// the busy 2-core machine.
	checkUpTo int
}

func benchQueries() []benchQuery {
	at := func(s string) time.Time {
		t, _ := time.Parse(time.RFC3339, s)
		return t
	}
	year0, year1 := at("2024-01-01T00:00:00Z"), at("2025-01-01T00:00:00Z")
	h0, h1 := at("2024-07-04T12:00:00Z"), at("2024-07-04T13:00:00Z")
	d0, d1 := at("2024-07-04T00:00:00Z"), at("2024-07-05T00:00:00Z")
	e0, e1 := at("2024-01-01T13:27:05Z"), at("2024-12-31T13:27:05Z")
	all := 10_000_000
	return []benchQuery{
		{"index-hourly-year", "/v1/index?pair=CN-US&interval=hour&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", 8000 * 100,
			oracleCase{index: &store.IndexQuery{Pair: "CN-US", Granularity: tension.Hour, From: year0, To: year1}}, all},
		// As the dashboard asks for a year of hours: gaps listed, smoothed
		// by 30 days (the 30 days before the range read too).
		{"index-hourly-year-dashboard", "/v1/index?pair=CN-US&interval=hour&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&fill=gaps&window=30d", 8000 * 100,
			oracleCase{index: &store.IndexQuery{Pair: "CN-US", Granularity: tension.Hour, From: year0.AddDate(0, 0, -30), To: year1}}, all},
		{"index-daily-year", "/v1/index?pair=CN-US&interval=day&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", 300 * 100,
			oracleCase{index: &store.IndexQuery{Pair: "CN-US", Granularity: tension.Day, From: year0, To: year1}}, all},
		{"drivers-hour", "/v1/drivers?pair=CN-US&from=2024-07-04T12:00:00Z&to=2024-07-04T13:00:00Z&limit=20", 20 * 300,
			oracleCase{drivers: &store.DriversQuery{Pair: "CN-US", From: h0, To: h1, Limit: 21}}, all},
		{"drivers-day", "/v1/drivers?pair=CN-US&from=2024-07-04T00:00:00Z&to=2024-07-05T00:00:00Z&limit=20", 20 * 300,
			oracleCase{drivers: &store.DriversQuery{Pair: "CN-US", From: d0, To: d1, Limit: 21}}, all},
		{"entities-top-day", "/v1/entities/top?pair=CN-US&from=2024-07-04T00:00:00Z&to=2024-07-05T00:00:00Z", 100,
			oracleCase{entities: &store.TopQuery{Pair: "CN-US", From: d0, To: d1, Limit: 21}}, all},
		{"cues-top-day", "/v1/cues/top?pair=CN-US&from=2024-07-04T00:00:00Z&to=2024-07-05T00:00:00Z", 100,
			oracleCase{cues: &store.TopQuery{Pair: "CN-US", From: d0, To: d1, Limit: 21}}, all},
		{"entities-top-year", "/v1/entities/top?pair=CN-US&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&limit=12", 100,
			oracleCase{entities: &store.TopQuery{Pair: "CN-US", From: year0, To: year1, Limit: 13}}, 1_000_000},
		{"cues-top-year", "/v1/cues/top?pair=CN-US&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&limit=12", 100,
			oracleCase{cues: &store.TopQuery{Pair: "CN-US", From: year0, To: year1, Limit: 13}}, 1_000_000},
		// As the dashboard asks (now - 1 year to now, to the second): the
		// whole days from the rollups, the two partial edge days raw.
		{"entities-top-year-edges", "/v1/entities/top?pair=CN-US&from=2024-01-01T13:27:05Z&to=2024-12-31T13:27:05Z&limit=12", 100,
			oracleCase{entities: &store.TopQuery{Pair: "CN-US", From: e0, To: e1, Limit: 13}}, 1_000_000},
		{"cues-top-year-edges", "/v1/cues/top?pair=CN-US&from=2024-01-01T13:27:05Z&to=2024-12-31T13:27:05Z&limit=12", 100,
			oracleCase{cues: &store.TopQuery{Pair: "CN-US", From: e0, To: e1, Limit: 13}}, 1_000_000},
		{"pairs", "/v1/pairs", 100, oracleCase{}, 0},
	}
}

// benchResult is one query's figures in one state.
type benchResult struct {
	p50, p95     float64 // ms over HTTP
	goCPU, chCPU float64 // ms per request
	readRows     float64 // per request
	chQueries    float64 // per request
	requests     int
	failed       string // how the request failed, if it did
}

// readerConn opens the query service's read-only user on db as the
// service does (chstore.Connect: its settings, its compression), so the
// figures are the service's; idConn logs every query it runs, so
// system.query_log has their CPU time and rows read.
func readerConn(b *testing.B, db string) driver.Conn {
	cfg := chtest.ReaderConfig(db)
	cfg.DialTimeout, cfg.ReadTimeout = 5*time.Second, 10*time.Minute
	conn, err := chstore.Connect(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn
}

// idConn gives every query the store runs an id that starts with the
// benchmarked request's name, and logs it (log_queries), so
// system.query_log can be read per request kind (ids must be unique:
// ClickHouse refuses an id still running).
type idConn struct {
	driver.Conn
	prefix atomic.Pointer[string]
	n      atomic.Int64
}

func (c *idConn) Query(ctx context.Context, sql string, args ...any) (driver.Rows, error) {
	id := fmt.Sprintf("%s-%d", *c.prefix.Load(), c.n.Add(1))
	return c.Conn.Query(clickhouse.Context(ctx, clickhouse.WithQueryID(id), clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1})), sql, args...)
}

// serverCost reads what ClickHouse logged for the queries whose id starts
// with prefix: queries, CPU time (user + system) and rows read.
func serverCost(b *testing.B, conn driver.Conn, prefix string) (queries uint64, cpu time.Duration, readRows uint64) {
	return serverCostOf(b, conn, prefix, "")
}

// serverCostOf is serverCost of the queries whose text contains like ("":
// every query).
func serverCostOf(b *testing.B, conn driver.Conn, prefix, like string) (queries uint64, cpu time.Duration, readRows uint64) {
	ctx := context.Background()
	// The server logs a query once it has finished it, which can be
	// after the client has read its last row: flush until the log has
	// some, for a few seconds at most.
	for try := 0; ; try++ {
		if err := conn.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
			b.Fatal(err)
		}
		queries, cpu, readRows = queryLog(b, conn, prefix, like)
		if queries > 0 || try == 20 {
			return queries, cpu, readRows
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func queryLog(b *testing.B, conn driver.Conn, prefix, like string) (queries uint64, cpu time.Duration, readRows uint64) {
	var us uint64
	for _, cpuExpr := range []string{
		// 18.16: ProfileEvents as two arrays; 25.x: a Map.
		"arraySum(arrayMap((n, v) -> if(n IN ('UserTimeMicroseconds', 'SystemTimeMicroseconds'), v, 0), ProfileEvents.Names, ProfileEvents.Values))",
		"ProfileEvents['UserTimeMicroseconds'] + ProfileEvents['SystemTimeMicroseconds']",
	} {
		err := conn.QueryRow(context.Background(), `SELECT count(), sum(`+cpuExpr+`), sum(read_rows) FROM system.query_log
			WHERE type = 2 AND event_date >= yesterday() AND startsWith(query_id, ?) AND position(query, ?) > 0`, prefix+"-", like).Scan(&queries, &us, &readRows)
		if err == nil {
			return queries, time.Duration(us) * time.Microsecond, readRows
		}
	}
	b.Fatal("cannot read system.query_log")
	return
}

// BenchmarkIntegrationQueryAPI: see the comment at the top of the file.
//
//	make bench-query   (TENSION_INTEGRATION=1 go test -run '^$' -bench QueryAPI -benchtime 30x ./internal/store/)
func BenchmarkIntegrationQueryAPI(b *testing.B) {
	chtest.Integration(b)
	results := map[string]benchResult{}
	run := fmt.Sprintf("bench-%d", rand.Uint32())
	var states []string
	for _, set := range benchSets {
		// TENSION_BENCH_SETS=1M (or 10M) runs one size only.
		if only := os.Getenv("TENSION_BENCH_SETS"); only != "" && !slices.Contains(strings.Split(only, ","), set.name) {
			continue
		}
		conn, loaded := benchLoad(b, set)
		reader := &idConn{Conn: readerConn(b, set.db)}
		none := run + "-unmeasured"
		reader.prefix.Store(&none)
		s := store.New(reader, 30*time.Second) // the service's default
		// The check waits as long as it takes: a request too slow for
		// the service is timed (and fails) below, but must still be right.
		check := store.New(reader, 10*time.Minute)

		// Every timed answer equals the oracle's first. The old and the
		// new SQL run under query ids of their own, so what each cost
		// ClickHouse is read back from system.query_log.
		old := &idConn{Conn: reader.Conn}
		var costs []string
		for _, q := range benchQueries() {
			if q.check == (oracleCase{}) || set.articles > q.checkUpTo {
				continue
			}
			oldPrefix, newPrefix := fmt.Sprintf("%s-%s-old-%s", run, set.name, q.name), fmt.Sprintf("%s-%s-new-%s", run, set.name, q.name)
			old.prefix.Store(&oldPrefix)
			reader.prefix.Store(&newPrefix)
			q.check.name = q.name
			diff, n, err := q.check.compare(context.Background(), check, oracle{old})
			if err != nil {
				b.Fatalf("%s %s: %v", set.name, q.name, err)
			}
			if diff != "" || n == 0 {
				b.Fatalf("%s %s: answer differs from the oracle's (%d items): %s", set.name, q.name, n, diff)
			}
			like := ""
			if q.check.drivers != nil {
				like = "abs(tension) DESC" // the oracle has the ranking only; the store adds cues and titles
			}
			_, oldCPU, oldRows := serverCostOf(b, conn, oldPrefix, like)
			_, newCPU, newRows := serverCostOf(b, conn, newPrefix, like)
			costs = append(costs, fmt.Sprintf("| %s | %d | %.1f → %.1f | %d → %d |", q.name, n,
				float64(oldCPU.Microseconds())/1000, float64(newCPU.Microseconds())/1000, oldRows, newRows))
		}
		reader.prefix.Store(&none)
		b.Logf("%s: answers equal to the old SQL's; ClickHouse CPU and rows read, old SQL → new (one request each; drivers: the ranking query; rows read by IN subqueries are not counted by 18.16):\n"+
			"| request | items compared | ClickHouse CPU ms | rows read |\n|---|---|---|---|\n%s", set.name, strings.Join(costs, "\n"))

		srv := httptest.NewServer(api.New(s, api.Config{}))
		measure := func(state string) {
			if !slices.Contains(states, state) {
				states = append(states, state)
			}
			for _, q := range benchQueries() {
				key := set.name + "/" + state + "/" + q.name
				b.Run(key, func(b *testing.B) {
					prefix := fmt.Sprintf("%s-%s-%d", run, strings.ReplaceAll(key, "/", "-"), rand.Uint32())
					reader.prefix.Store(&prefix)
					var (
						ds     []time.Duration
						failed string
					)
					cpu := testenv.SelfCPU()
					began := time.Now()
					for b.Loop() {
						if failed != "" {
							continue // one failure is the answer; the rest would wait out the same timeout
						}
						if len(ds) >= benchSlowRequests && time.Since(began) > benchSlowBudget {
							continue // a slow request: its figures are clear from fewer samples
						}
						start := time.Now()
						resp, err := http.Get(srv.URL + q.path)
						if err != nil {
							b.Fatal(err)
						}
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 || int64(len(body)) < q.minBody {
							failed = fmt.Sprintf("%d after %.1f s: %.120s", resp.StatusCode, time.Since(start).Seconds(), body)
							b.Logf("GET %s: %s", q.path, failed)
							continue
						}
						ds = append(ds, time.Since(start))
					}
					if failed != "" {
						// 18.16 checks neither max_execution_time nor KILL
						// QUERY while it builds an IN set: the request's
						// query runs on for minutes after the service gave
						// up on it. Later figures wait until it has ended.
						if err := conn.Exec(context.Background(), "KILL QUERY WHERE startsWith(query_id, ?) ASYNC", prefix); err != nil {
							b.Logf("kill the failed request's queries: %v", err)
						}
						b.Logf("the failed request's queries ended %s after it failed", waitQueries(b, conn, prefix, 15*time.Minute).Round(time.Second))
						results[key] = benchResult{failed: failed}
						return
					}
					goCPU := testenv.SelfCPU() - cpu
					slices.Sort(ds)
					ms := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000 }
					queries, chCPU, rows := serverCost(b, conn, prefix)
					per := func(v float64) float64 { return v / float64(len(ds)) }
					r := benchResult{p50: ms(0.5), p95: ms(0.95), requests: len(ds), goCPU: per(float64(goCPU.Microseconds()) / 1000),
						chCPU: per(float64(chCPU.Microseconds()) / 1000), readRows: per(float64(rows)), chQueries: per(float64(queries))}
					results[key] = r
					b.ReportMetric(r.p50, "p50-ms")
					b.ReportMetric(r.p95, "p95-ms")
					b.ReportMetric(r.goCPU+r.chCPU, "cpu-ms/op")
					b.ReportMetric(r.readRows, "rows-read/op")
					b.ReportMetric(0, "ns/op")
				})
			}
		}
		if loaded {
			measure("after-load")
		}
		waited := waitMerges(b, conn, 20*time.Minute)
		b.Logf("%s: merges settled after %s: %s", set.name, waited.Round(time.Second), partsSummary(b, conn))
		measure("steady")
		srv.Close()
	}
	b.Logf("machine: %s", "load average "+testenv.LoadAverage())
	b.Log(benchTable(results, states))
}

// benchTable formats the results: per query and state p50/p95, CPU per
// request and rows read at 10 M and 1 M, and the 10 M / 1 M ratios ("—"
// where a size was not timed in that state, e.g. after a load of the other).
func benchTable(results map[string]benchResult, states []string) string {
	var sb strings.Builder
	sb.WriteString("\n| request | state | 10M p50 ms | 10M p95 ms | 10M CPU ms (Go + ClickHouse) | 10M rows read | 1M p50 ms | 1M p95 ms | 1M CPU ms | 10M/1M p50 | 10M/1M CPU |\n")
	sb.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	cells := func(key string) (r benchResult, ok bool, c []string) {
		r, ok = results[key]
		switch {
		case !ok:
			return r, false, []string{"—", "—", "—", "—"}
		case r.failed != "":
			return r, false, []string{"fails: " + strings.SplitN(r.failed, ":", 2)[0], "", "", ""}
		}
		n := ""
		if r.requests < 30 {
			n = fmt.Sprintf(" (%d requests)", r.requests)
		}
		return r, true, []string{fmt.Sprintf("%.1f%s", r.p50, n), fmt.Sprintf("%.1f", r.p95),
			fmt.Sprintf("%.1f (%.1f + %.1f)", r.goCPU+r.chCPU, r.goCPU, r.chCPU), fmt.Sprintf("%.0f", r.readRows)}
	}
	for _, q := range benchQueries() {
		for _, st := range states {
			big, okBig, bc := cells("10M/" + st + "/" + q.name)
			small, okSmall, sc := cells("1M/" + st + "/" + q.name)
			if _, any10 := results["10M/"+st+"/"+q.name]; !any10 {
				if _, any1 := results["1M/"+st+"/"+q.name]; !any1 {
					continue
				}
			}
			ratio, cpuRatio := "—", "—"
			if okBig && okSmall {
				ratio = fmt.Sprintf("%.1f×", big.p50/small.p50)
				cpuRatio = fmt.Sprintf("%.1f×", (big.goCPU+big.chCPU)/(small.goCPU+small.chCPU))
			}
			fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", q.name, st, bc[0], bc[1], bc[2], bc[3],
				sc[0], sc[1], sc[2], ratio, cpuRatio)
		}
	}
	return sb.String()
}
