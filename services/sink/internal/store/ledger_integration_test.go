package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/testenv"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// TestIntegrationLedgerReadsTheRangesAskedFor checks that the ledger's read
// (Store.Ranges, three times a batch) takes the granules of the ranges it
// asks for, not every range row of the partition: a partition's range rows
// are one per block, millions in a live stream's history. The journal holds
// 300,000 range rows in the form journal.Cover writes (pair = RangeKey),
// made in the server, and rows written before RangeKey (pair ""): a
// history below them, a block an older sink wrote after them, and a
// cancelled one. Ranges must return what the read by partition and offset
// alone returns, and read at most a few granules.
func TestIntegrationLedgerReadsTheRangesAskedFor(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_ledger")
	st := store.New(conn)
	ctx := context.Background()
	const log = "enriched@x"

	// Partitions 0 to 2, ranges of 100 offsets from 1,000,000 on, a block each.
	makeRanges(t, conn, log, 3, 300_000)
	var pair string
	if err := conn.QueryRow(ctx, `SELECT pair FROM index_journal WHERE kind = 'range' AND src_partition = 2 AND src_offset = 10999900`).Scan(&pair); err != nil {
		t.Fatal(err)
	}
	if want := journal.RangeKey(2, 10_999_900); pair != want {
		t.Fatalf("the test's rows have pair %q, journal.RangeKey makes %q", pair, want)
	}
	// Rows without RangeKey: 500 ranges below in partitions 0 and 1, a
	// block at 11,000,000 in partition 0, and one cancelled in partition 1.
	exec(t, conn, `INSERT INTO index_journal (kind, key, granularity, src_partition, src_offset, position, entries, blk)
		SELECT 'range', ?, 'none', toInt32(number % 2), toInt64(intDiv(number, 2) * 100), toInt64(intDiv(number, 2) * 100 + 100), 1,
			concat('old-', toString(number)) FROM numbers(1000)`, log)
	exec(t, conn, `INSERT INTO index_journal (kind, key, granularity, src_partition, src_offset, position, entries, blk)
		SELECT 'range', ?, 'none', toInt32(tupleElement(r, 1)), 11000000, 11000050 * tupleElement(r, 2), tupleElement(r, 2), tupleElement(r, 3)
		FROM (SELECT arrayJoin([(0, 1, 'old-late'), (1, 1, 'old-cancelled'), (1, -1, 'old-cancelled')]) AS r)`, log)

	from := map[int32]int64{0: 10_990_000, 1: 10_995_000}
	mark := 262144 + time.Now().UnixNano()%100000 // each statement set its own: mark+1, mark+2
	got, err := st.Ranges(logged(mark+1), log, from)
	if err != nil {
		t.Fatal(err)
	}
	want := rangesByOffset(t, conn, log, from)
	sortRanges(got)
	sortRanges(want)
	if len(want) != 100+50+1 || !reflect.DeepEqual(got, want) {
		t.Fatalf("Ranges returned %d ranges, the read by offset %d (want 151):\n got %v\nwant %v", len(got), len(want), got, want)
	}
	// Partitions 0 and 1 hold 201,000 rows; the ranges asked for and the
	// rows without RangeKey are in a few granules of 8,192.
	read := readRows(t, conn, mark+1, 1)
	t.Logf("Ranges read %d rows of the journal's %d range rows for 151 ranges", read, 300_000+1_003)
	if read > 6*8192 {
		t.Errorf("Ranges read %d rows of the journal for 151 ranges, want at most %d: does the read still go through every range of a partition?", read, 6*8192)
	}

	// Logs, once per generation: another log of the topic is found, and
	// the current one's rows are not all read to say it has some.
	exec(t, conn, `INSERT INTO index_journal (kind, key, granularity, pair, src_partition, src_offset, position, entries, blk)
		SELECT 'range', 'enriched@w', 'none', ?, 0, 0, 100, 1, 'w-0'`, journal.RangeKey(0, 0))
	others, current, err := st.Logs(logged(mark+2), "enriched", log)
	if err != nil || !reflect.DeepEqual(others, []string{"enriched@w"}) || !current {
		t.Fatalf("Logs = %v, current %v (%v); want enriched@w and the current log", others, current, err)
	}
	read = readRows(t, conn, mark+2, 2)
	t.Logf("Logs read %d rows of the journal's %d range rows", read, 300_000+1_004)
	if read > 6*8192 {
		t.Errorf("Logs read %d rows, want at most %d: does it go through every range row of the current log?", read, 6*8192)
	}
}

// TestIntegrationRangeStartsLookBackFromTheEnd checks RangeStarts, which a
// sink reads once per generation: per partition asked, the start of its
// last range, found in windows back from the log's end, must be what the
// read of all the partition's range rows finds — with rows of both forms,
// a last range just above the end (a log that lost messages), one far
// below it (a sink far behind), rows without RangeKey only, and none.
func TestIntegrationRangeStartsLookBackFromTheEnd(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_starts")
	st := store.New(conn)
	ctx := context.Background()
	const log = "enriched@x"
	makeRanges(t, conn, log, 3, 300_000) // partitions 0 to 2: 1,000,000 to 10,999,900
	exec(t, conn, `INSERT INTO index_journal (kind, key, granularity, src_partition, src_offset, position, entries, blk)
		SELECT 'range', ?, 'none', toInt32(if(number % 2 = 0, 0, 4)), toInt64(intDiv(number, 2) * 100), toInt64(intDiv(number, 2) * 100 + 100), 1,
			concat('old-', toString(number)) FROM numbers(1000)`, log)
	exec(t, conn, `INSERT INTO index_journal (kind, key, granularity, src_partition, src_offset, position, entries, blk)
		SELECT 'range', ?, 'none', 0, 11000000, 11000050, 1, 'old-late'`, log)

	ends := map[int32]int64{0: 11_000_050, 1: 10_999_950, 2: 1 << 40, 3: 5_000, 4: 3_000_000, 5: 0}
	got, err := st.RangeStarts(ctx, log, ends)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32]int64{0: 11_000_000, 1: 10_999_900, 2: 10_999_900, 4: 49_900}
	if whole := startsWhole(t, conn, log); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(whole, want) {
		t.Fatalf("RangeStarts = %v, the read of all range rows %v, want %v", got, whole, want)
	}
	if got, err := st.RangeStarts(ctx, "enriched@other", ends); err != nil || len(got) != 0 {
		t.Fatalf("RangeStarts of a log without ranges = %v (%v), want none", got, err)
	}
}

// startsWhole is RangeStarts as it read before: the largest first offset
// of every range row of log, by partition.
func startsWhole(tb testing.TB, conn driver.Conn, log string) map[int32]int64 {
	tb.Helper()
	rows, err := conn.Query(context.Background(), `SELECT src_partition, max(src_offset) FROM index_journal
		WHERE kind = 'range' AND key = ? GROUP BY src_partition`, log)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := map[int32]int64{}
	for rows.Next() {
		var p int32
		var off int64
		if err := rows.Scan(&p, &off); err != nil {
			tb.Fatal(err)
		}
		out[p] = off
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// makeRanges writes n range rows of log as journal.Cover does (pair =
// RangeKey), made in the server: over partitions 0 to partitions-1 in turn,
// ranges of 100 offsets from 1,000,000 on, a block each.
func makeRanges(tb testing.TB, conn driver.Conn, log string, partitions, n int) {
	tb.Helper()
	exec(tb, conn, `INSERT INTO index_journal (kind, key, granularity, pair, src_partition, src_offset, position, entries, blk)
		SELECT 'range', ?, 'none',
			concat(substring(toString(10000000000 + p), 2), '/', substring(concat('0000000000000000000', toString(o)), length(toString(o)) + 1)),
			p, o, o + 100, 1, concat('b-', toString(p), '-', toString(o))
		FROM (SELECT toInt32(number % ?) AS p, toInt64(1000000 + intDiv(number, ?) * 100) AS o FROM numbers(?))`, log, partitions, partitions, n)
}

func exec(tb testing.TB, conn driver.Conn, sql string, args ...any) {
	tb.Helper()
	if err := conn.Exec(context.Background(), sql, args...); err != nil {
		tb.Fatal(err)
	}
}

// rangesByOffset is Store.Ranges as it read before RangeKey: by partition
// and first offset alone, whatever the pair.
func rangesByOffset(tb testing.TB, conn driver.Conn, log string, from map[int32]int64) []store.RangeRow {
	tb.Helper()
	var (
		cond []string
		args = []any{log}
	)
	for p, f := range from {
		cond = append(cond, "(src_partition = ? AND src_offset >= ?)")
		args = append(args, p, f)
	}
	rows, err := conn.Query(context.Background(), `SELECT src_partition, src_offset, blk, sum(position), sum(entries)
		FROM index_journal WHERE kind = 'range' AND key = ? AND (`+strings.Join(cond, " OR ")+`)
		GROUP BY src_partition, src_offset, blk HAVING sum(entries) != 0`, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []store.RangeRow
	for rows.Next() {
		var r store.RangeRow
		if err := rows.Scan(&r.Partition, &r.From, &r.Block, &r.To, &r.Entries); err != nil {
			tb.Fatal(err)
		}
		r.To /= r.Entries
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func sortRanges(rs []store.RangeRow) {
	slices.SortFunc(rs, func(a, b store.RangeRow) int {
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		if a.From != b.From {
			return int(a.From - b.From)
		}
		return 0
	})
}

// logged returns a context whose statements the query log records, marked
// by a setting that changes nothing for them (max_query_size = mark, a few
// bytes over its default), to be found by it. Not a query id: a query id may
// not run twice at once, and Logs sends two statements (ClickHouse refused
// the second once, the first still finishing on another connection); the
// writes of sorted_integration_test.go run on several connections at once.
func logged(mark int64) context.Context {
	return clickhouse.Context(context.Background(), clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1, "max_query_size": int(mark)}))
}

// readRows returns the rows that the n SELECTs marked mark (logged) read,
// from the server's query log, which each reaches as it ends: flushed and
// looked up again until all n are there.
func readRows(t *testing.T, conn driver.Conn, mark int64, n uint64) uint64 {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		exec(t, conn, "SYSTEM FLUSH LOGS")
		var found, read uint64
		if err := conn.QueryRow(ctx, `SELECT count(), sum(read_rows) FROM system.query_log
			WHERE type = 2 AND event_time >= now() - 600 AND query LIKE 'SELECT%'
			AND Settings.Values[indexOf(Settings.Names, 'max_query_size')] = ?`, fmt.Sprint(mark)).Scan(&found, &read); err != nil {
			t.Fatal(err)
		}
		if found >= n {
			return read
		}
	}
	t.Fatalf("the %d queries marked %d never reached the query log", n, mark)
	return 0
}

// BenchmarkIntegrationLedgerHistory times the ledger's read (Store.Ranges,
// three times a batch) on a journal that holds a day of a live stream's range
// rows — four blocks a second over six partitions, some two million —,
// merged into one part, against the read by offset alone that the sink sent
// before RangeKey. Each asks for every partition's last ranges (from the
// last 10,000 offsets on: about 100 each) and both must find the same;
// and RangeStarts (once per generation, from the partitions' ends) against
// the read of all range rows it replaced.
// TENSION_BENCH_LEDGER_RANGES sets the rows (default 2,000,000). `make
// bench-lookup` runs it.
func BenchmarkIntegrationLedgerHistory(b *testing.B) {
	n := testenv.Int(b, "TENSION_BENCH_LEDGER_RANGES", 2_000_000)
	const partitions, log = 6, "enriched@x"
	conn, _ := chtest.Open(b, "tension_bench_ledger")
	st := store.New(conn)
	ctx := context.Background()
	start := time.Now()
	makeRanges(b, conn, log, partitions, n)
	parts, rows := partsOf(ctx, b, conn, "index_journal", true)
	b.Logf("journal: %d range rows in %d parts, made in %s", rows, parts, time.Since(start).Round(time.Second))
	from := map[int32]int64{}
	for p := range int32(partitions) {
		from[p] = 1_000_000 + int64(n/partitions)*100 - 10_000
	}
	wantRanges := len(rangesByOffset(b, conn, log, from))
	if wantRanges < partitions*90 {
		b.Fatalf("%d ranges from the partitions' last 10,000 offsets, want about 100 each", wantRanges)
	}
	ends := map[int32]int64{}
	for p, f := range from {
		ends[p] = f + 10_000
	}
	for _, c := range []struct {
		name string
		read func() int
		want int
	}{
		{"ranges", func() int {
			got, err := st.Ranges(ctx, log, from)
			if err != nil {
				b.Fatal(err)
			}
			return len(got)
		}, wantRanges},
		{"by_offset", func() int { return len(rangesByOffset(b, conn, log, from)) }, wantRanges},
		// RangeStarts, once per generation, against the read of every
		// range row it replaced: each finds one start per partition.
		{"starts", func() int {
			got, err := st.RangeStarts(ctx, log, ends)
			if err != nil {
				b.Fatal(err)
			}
			return len(got)
		}, partitions},
		{"starts_whole", func() int { return len(startsWhole(b, conn, log)) }, partitions},
	} {
		b.Run(c.name, func(b *testing.B) {
			t := time.Now()
			for range b.N {
				if got := c.read(); got != c.want {
					b.Fatalf("%s: %d, want %d", c.name, got, c.want)
				}
			}
			b.ReportMetric(float64(time.Since(t).Microseconds())/1000/float64(b.N), "ms/read")
			b.ReportMetric(0, "ns/op")
		})
	}
}
