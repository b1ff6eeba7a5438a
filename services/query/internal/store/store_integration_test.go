package store_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/tension"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// TestIntegrationBinding pins down how clickhouse-go's client-side `?`
// binding behaves on the server we run (18.16 locally, 25.x elsewhere):
// the store relies on each of these.
func TestIntegrationBinding(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_query")
	ctx := context.Background()
	scalar := func(sql string, dest any, args ...any) {
		t.Helper()
		if err := conn.QueryRow(ctx, sql, args...).Scan(dest); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	// Times are bound as Unix seconds inside toDateTime(?): no time-zone
	// ambiguity on any server.
	want := time.Date(2025, 4, 2, 10, 0, 0, 0, time.UTC)
	var got time.Time
	scalar("SELECT toDateTime(?)", &got, want.Unix())
	if !got.Equal(want) {
		t.Errorf("toDateTime(?) with %d = %v", want.Unix(), got)
	}
	// A time.Time bound directly also round-trips (clickhouse-go writes it
	// as toDateTime('...', 'UTC')), but the store does not rely on it.
	scalar("SELECT ?", &got, want)
	if !got.Equal(want) {
		t.Errorf("SELECT ? with time.Time = %v", got)
	}
	// Month grouping in UTC, whatever the server's zone.
	scalar("SELECT toDateTime(toStartOfMonth(toDateTime(?), 'UTC'), 'UTC')", &got, time.Date(2025, 4, 30, 23, 0, 0, 0, time.UTC).Unix())
	if !got.Equal(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("toStartOfMonth in UTC = %v", got)
	}

	// A []string binds as an array literal; IN lists of UUIDs are built
	// from it in a subquery.
	var n uint64
	scalar("SELECT count() FROM (SELECT toUUID(arrayJoin(?)) AS id) WHERE id IN (SELECT toUUID(arrayJoin(?)))", &n,
		[]string{"00000000-0000-5000-8000-000000000001", "00000000-0000-5000-8000-000000000002", "00000000-0000-5000-8000-000000000003"},
		[]string{"00000000-0000-5000-8000-000000000002", "00000000-0000-5000-8000-000000000003"})
	if n != 2 {
		t.Errorf("IN (SELECT toUUID(arrayJoin(?))) matched %d, want 2", n)
	}

	// Hostile strings arrive as values, byte for byte, never as SQL.
	for _, s := range []string{"CN-US' OR 1=1 --", `a\'b`, "x\x00y", `\`, "'; DROP TABLE articles; --", "é漢字", "?"} {
		var echo string
		scalar("SELECT ?", &echo, s)
		if echo != s {
			t.Errorf("SELECT ? with %q = %q", s, echo)
		}
	}
	var tables uint64
	scalar("SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'articles'", &tables)
	if tables != 1 {
		t.Fatal("articles table is gone")
	}
}

// loadYear writes one year of synthetic hourly journal rows: "*" and
// several pairs, each bucket split over deltas in separate inserts (as the
// sink writes them), plus minute rows the hourly query must skip.
func loadYear(tb testing.TB, conn driver.Conn, year int) (wantBuckets int) {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	pairs := []string{"*", "CN-US", "EU-US", "CN-EU", "CN-JP", "RU-US", "IN-US"}
	start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	hours := int(start.AddDate(1, 0, 0).Sub(start) / time.Hour)
	const cols = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket,
		entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight)`
	for delta := 0; delta < 3; delta++ {
		b, err := conn.PrepareBatch(ctx, cols)
		if err != nil {
			tb.Fatal(err)
		}
		for h := 0; h < hours; h++ {
			bucket := start.Add(time.Duration(h) * time.Hour)
			for _, p := range pairs {
				var arts, dyad, esc, deesc int64
				if p == "*" {
					arts = 10 + rng.Int64N(40)
				} else {
					dyad = rng.Int64N(10)
					esc = rng.Int64N(dyad + 1)
					deesc = dyad - esc
				}
				if err := b.Append("bucket", "", "hour", p, "", bucket, int64(1), arts, dyad, esc, deesc, int64(0),
					float64(esc-deesc)*0.3, float64(dyad)*4); err != nil {
					tb.Fatal(err)
				}
			}
		}
		if err := b.Send(); err != nil {
			tb.Fatal(err)
		}
	}
	// Minute rows for the same year ("*" and CN-US), in one insert.
	b, err := conn.PrepareBatch(ctx, cols)
	if err != nil {
		tb.Fatal(err)
	}
	for m := 0; m < hours*60; m++ {
		bucket := start.Add(time.Duration(m) * time.Minute)
		if err := b.Append("bucket", "", "minute", "*", "", bucket, int64(1), int64(1), int64(0), int64(0), int64(0), int64(0), 0.0, 0.0); err != nil {
			tb.Fatal(err)
		}
		if err := b.Append("bucket", "", "minute", "CN-US", "", bucket, int64(1), int64(0), int64(1), int64(1), int64(0), int64(0), 0.3, 4.0); err != nil {
			tb.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		tb.Fatal(err)
	}
	return hours
}

// BenchmarkIntegrationIndexHourlyYear measures the hourly CN-US index for
// one year (8,760 buckets) from ClickHouse: the store's query alone, and
// the whole HTTP request with JSON encoding.
//
//	TENSION_INTEGRATION=1 go test -run '^$' -bench IndexHourlyYear -benchtime 20x ./internal/store/
func BenchmarkIntegrationIndexHourlyYear(b *testing.B) {
	conn, _ := chtest.Open(b, "tension_test_query")
	hours := loadYear(b, conn, 2024)
	s := store.New(conn, 30*time.Second)
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	q := store.IndexQuery{Pair: "CN-US", Granularity: tension.Hour, From: from, To: from.AddDate(1, 0, 0)}

	b.Run("store", func(b *testing.B) {
		for b.Loop() {
			got, err := s.Index(context.Background(), q)
			if err != nil {
				b.Fatal(err)
			}
			if len(got) != hours {
				b.Fatalf("got %d buckets, want %d", len(got), hours)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		b.ReportMetric(float64(hours), "buckets/op")
	})

	b.Run("http", func(b *testing.B) {
		srv := httptest.NewServer(api.New(s, api.Config{}))
		defer srv.Close()
		url := fmt.Sprintf("%s/v1/index?pair=CN-US&interval=hour&from=%s&to=%s", srv.URL,
			q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
		var size int64
		for b.Loop() {
			resp, err := http.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			size, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		b.ReportMetric(float64(size), "bytes/op")
	})
}

// TestIntegrationArticlesIn: the ranked lists' guard counts the current
// view's articles of the day buckets overlapping the range, summing
// unmerged deltas, and nothing of other pairs, versions or granularities.
func TestIntegrationArticlesIn(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_query_articles_in")
	ctx := context.Background()
	const cols = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket,
		entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight)`
	day := func(d int) time.Time { return time.Date(2025, 4, d, 0, 0, 0, 0, time.UTC) }
	rows := []struct {
		granularity, pair, version string
		bucket                     time.Time
		articles                   int64
	}{
		{"day", "*", "", day(1), 100},
		{"day", "*", "", day(1), -10}, // a retraction, not merged yet
		{"day", "*", "", day(2), 50},
		{"day", "*", "", day(5), 7},
		{"day", "CN-US", "", day(2), 1000},
		{"day", "*", "v1", day(2), 1000},
		{"hour", "*", "", day(2), 1000},
	}
	for _, r := range rows {
		b, err := conn.PrepareBatch(ctx, cols)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Append("bucket", "", r.granularity, r.pair, r.version, r.bucket, int64(1), r.articles,
			int64(0), int64(0), int64(0), int64(0), 0.0, 0.0); err != nil {
			t.Fatal(err)
		}
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
	}
	st := store.New(conn, 10*time.Second)
	for _, tc := range []struct {
		from, to time.Time
		want     int64
	}{
		{day(1), day(3), 140},
		{day(1).Add(13 * time.Hour), day(2).Add(time.Hour), 140}, // days overlapping the range
		{day(2), day(5), 50},
		{day(3), day(4), 0},
		{day(1), day(30), 147},
	} {
		n, err := st.ArticlesIn(ctx, tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if n != tc.want {
			t.Errorf("ArticlesIn(%s, %s) = %d, want %d", tc.from, tc.to, n, tc.want)
		}
	}
}
