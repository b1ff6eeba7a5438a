package store_test

import (
	"context"
	"crypto/md5"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// BenchmarkIntegrationLookupHistory measures what the exactly-once reads
// of one sink batch cost as the journal's history grows: Priors (before a
// block is written) and Claims (after it) look the batch's article ids up
// among the journal's article rows, and ids are hashes, so a batch's ids
// land in granules all over those rows. The journal is made in the server
// (INSERT … SELECT from numbers(): N articles in the shape the sink writes
// since migration 0016, 1.8 article rows each — the "*" row, carrying the
// article's language cell and its version's marker, and for four articles
// in five one dyad's pair row carrying its cell, all in both views through
// in_current); it and article_keys are merged into a part each, as at
// rest; then batches of 100, 1,000 and 10,000 ids — all new (a live
// stream), or a tenth of them counted before (replays) — are looked up;
// each lookup is checked against what the journal holds.
//
// article_keys is filled from the journal as migration 0012 does. Before
// the claims, the batch's own keys go in (as WriteJournal writes them with
// its block); ClaimsBeside is timed beside Claims, the whole read the sink
// made before article_keys, and both must find the same claims of the
// counted ids.
//
// TENSION_BENCH_LOOKUP_ARTICLES sets N (default 1,000,000: 1.8 M rows).
// TENSION_BENCH_LOOKUP_MERGE=0 leaves both tables in the parts their
// INSERTs made. `make bench-lookup` runs it.
func BenchmarkIntegrationLookupHistory(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("TENSION_BENCH_LOOKUP_ARTICLES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10_000 {
			b.Fatalf("TENSION_BENCH_LOOKUP_ARTICLES=%q: want an integer >= 10000", v)
		}
	}
	conn, _ := chtest.Open(b, "tension_bench_lookup")
	st := store.New(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()

	start := time.Now()
	const chunk = 1_000_000 // articles per INSERT … SELECT
	for from := 0; from < n; from += chunk {
		count := min(chunk, n-from)
		// Row d of article a: d = 0 its "*" row, d = 1 its dyad's (none
		// when a is a multiple of five).
		if err := conn.Exec(ctx, fmt.Sprintf(`INSERT INTO index_journal (kind, key, granularity, pair, tagger_version,
				bucket, entries, blk, articles, dyad_articles, escalating, sum_score, sum_weight, in_current, cell, marker)
			SELECT 'article', UUIDNumToString(toFixedString(MD5(toString(a)), 16)), 'none',
				if(d = 0, '*', ['CN-US', 'US-CN', 'JP-US', 'CN-EU'][a %% 4 + 1]), 'tagger-1.2.0',
				toStartOfMinute(toDateTime(1700000000 + a * 3)), 1, concat('b', toString(intDiv(a, 10000))),
				1, d, d * (a %% 2), d * 0.5, d * 1.0, 1, if(d = 0, '||en', 'GOV||en'), if(d = 0, '@tagger-1.2.0', '')
			FROM (SELECT intDiv(number, 2) + %d AS a, number %% 2 AS d FROM system.numbers LIMIT %d)
			WHERE d = 0 OR a %% 5 != 0`, from, count*2)); err != nil {
			b.Fatalf("make the journal: %v", err)
		}
	}
	if err := conn.Exec(ctx, "INSERT INTO article_keys SELECT key, blk FROM index_journal WHERE kind = 'article' GROUP BY key, blk"); err != nil {
		b.Fatalf("fill article_keys: %v", err)
	}
	merge := os.Getenv("TENSION_BENCH_LOOKUP_MERGE") != "0"
	jParts, jRows := partsOf(ctx, b, conn, "index_journal", merge)
	kParts, kRows := partsOf(ctx, b, conn, "article_keys", merge)
	b.Logf("journal: %d articles, %d article rows in %d parts, article_keys %d rows in %d parts, made (merged unless TENSION_BENCH_LOOKUP_MERGE=0) in %s",
		n, jRows, jParts, kRows, kParts, time.Since(start).Round(time.Second))

	for _, c := range []struct {
		size    int
		tenth   bool
		counted string // the sub-benchmark's name for tenth
	}{{100, false, "none"}, {1000, false, "none"}, {10_000, false, "none"},
		{100, true, "a_tenth"}, {1000, true, "a_tenth"}, {10_000, true, "a_tenth"}} {
		size := c.size
		b.Run(fmt.Sprintf("ids=%d/counted=%s", size, c.counted), func(b *testing.B) {
			var priors, claims, whole time.Duration
			for i := range b.N {
				ids, counted := lookupBatch(n, size, i, c.tenth)
				t := time.Now()
				got, err := st.Priors(ctx, ids)
				priors += time.Since(t)
				if err != nil {
					b.Fatal(err)
				}
				// The batch's block, written: its keys (no journal rows:
				// both reads find the same claims, those of the history).
				block := fmt.Sprintf("0000000009-bench-%d-%d", size, i)
				keys, err := conn.PrepareBatch(ctx, "INSERT INTO article_keys (key, blk)")
				if err != nil {
					b.Fatal(err)
				}
				for _, id := range ids {
					if err := keys.Append(id, block); err != nil {
						b.Fatal(err)
					}
				}
				if err := keys.Send(); err != nil {
					b.Fatal(err)
				}
				t = time.Now()
				cl, err := st.ClaimsBeside(ctx, ids, block)
				claims += time.Since(t)
				if err != nil {
					b.Fatal(err)
				}
				t = time.Now()
				all, err := st.Claims(ctx, ids)
				whole += time.Since(t)
				if err != nil {
					b.Fatal(err)
				}
				// Every counted article has both views' rows, one block.
				if len(got) != counted || len(cl) != 2*counted || len(all) != 2*counted {
					b.Fatalf("%d ids, %d counted before: priors of %d articles, %d claims beside the block, %d in all (want %d, %d and %d)",
						size, counted, len(got), len(cl), len(all), counted, 2*counted, 2*counted)
				}
			}
			b.ReportMetric(float64(priors.Milliseconds())/float64(b.N), "priors_ms/batch")
			b.ReportMetric(float64(claims.Milliseconds())/float64(b.N), "claims_ms/batch")
			b.ReportMetric(float64(whole.Milliseconds())/float64(b.N), "whole_claims_ms/batch")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// partsOf returns how many active parts and rows table has; with merge, it
// first merges the table into one part, as a table at rest is. OPTIMIZE …
// FINAL does nothing while a background merge holds some of the parts, so
// it is tried again until one part is left.
func partsOf(ctx context.Context, b *testing.B, conn driver.Conn, table string, merge bool) (parts, rows uint64) {
	for try := 0; ; try++ {
		if err := conn.QueryRow(ctx, `SELECT count(), sum(rows) FROM system.parts
			WHERE active AND database = currentDatabase() AND table = ?`, table).Scan(&parts, &rows); err != nil {
			b.Fatalf("the parts of %s: %v", table, err)
		}
		if !merge || parts <= 1 {
			return parts, rows
		}
		if try == 60 {
			b.Fatalf("%s: still %d parts after %d merges", table, parts, try)
		}
		if try > 0 {
			time.Sleep(time.Second) // for the background merge that held them
		}
		if err := conn.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
			b.Fatalf("merge %s: %v", table, err)
		}
	}
}

// lookupBatch returns size article ids, none or (tenth) a tenth of them
// among the n the journal counts (the keys the INSERT above makes: the UUID
// string of MD5(decimal a)), and how many those are; round varies the
// choice.
func lookupBatch(n, size, round int, tenth bool) ([]string, int) {
	ids := make([]string, size)
	counted := 0
	if tenth {
		counted = size / 10
	}
	for i := range ids {
		a := n + round*size + i // never counted
		if i < counted {
			a = (round*7919 + i*104729) % n // spread over the history
		}
		ids[i] = uuid.UUID(md5.Sum([]byte(strconv.Itoa(a)))).String()
	}
	return ids, counted
}
