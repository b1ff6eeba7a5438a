package chstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/chstore/chtest"
)

// TestIntegrationSwapMigrationResumes runs migration 0005 (entity and cue
// indexes to UInt32, by copy and RENAME) on tables that hold rows of the old
// types, stopping it at several points as a crash would and then migrating
// again: every row survives (a row written into the old table during the
// copy too), the types are the new ones and no work table is left over.
func TestIntegrationSwapMigrationResumes(t *testing.T) {
	migs, err := chstore.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var swap chstore.Migration
	for _, m := range migs {
		if m.Version == 5 {
			swap = m
		}
	}
	if len(swap.Statements) == 0 {
		t.Fatal("migration 0005 not found")
	}
	index := func(prefix string) int {
		for i, s := range swap.Statements {
			if strings.HasPrefix(s, prefix) {
				return i
			}
		}
		t.Fatalf("no statement starts with %q", prefix)
		return 0
	}
	for _, tc := range []struct {
		name  string
		upTo  int    // statements of 0005 run before the "crash"
		stray string // the old table a sink wrote a row into between copy and RENAME
	}{
		{"not started", 0, ""},
		{"entities copied, not swapped", index("RENAME TABLE entities"), ""},
		{"entities swapped, old rows not copied again", index("RENAME TABLE entities") + 1, "entities_idx16"},
		{"cues swapped, old rows not copied again", index("RENAME TABLE cues") + 1, "cues_idx16"},
		{"all but the record", len(swap.Statements), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := freshDatabase(t)
			ctx := context.Background()
			for _, m := range migs {
				if m.Version < swap.Version {
					execAll(t, conn, m.Statements)
				}
			}
			writeOldRows(t, conn)
			execAll(t, conn, swap.Statements[:tc.upTo])
			wantEntities, wantCues := uint64(4), uint64(3)
			stray := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
			switch tc.stray { // what an old sink writes to the old table in the window
			case "entities_idx16":
				insert(t, conn, `INSERT INTO entities_idx16 (published_at, article_id, tagger_version, idx, text, type,
					canonical, country, start_offset, end_offset, version)`,
					[]any{stray, "0b9a6a4c-0000-5000-8000-0000000000ff", "v1", uint16(9),
						"Tokyo", "GOV", "Japanese government", "JP", uint32(0), uint32(5), uint64(1)})
				wantEntities++
			case "cues_idx16":
				insert(t, conn, `INSERT INTO cues_idx16 (pair, published_at, article_id, tagger_version, idx, text, category, sentence,
					start_offset, end_offset, actor, target, polarity, weight, hedged, negated, future, background, source, source_type, version)`,
					[]any{"CN-JP", stray, "0b9a6a4c-0000-5000-8000-0000000000ff", "v1", uint32(0), "sanctions", "sanction", int32(1),
						uint32(0), uint32(9), "JP", "CN", int8(1), 5.0, uint8(0), uint8(0), uint8(0), uint8(0), "", "NEWS", uint64(1)})
				wantCues++
			}
			// One server: the statements above built this database by hand.
			if err := chstore.Migrate(ctx, chstore.Config{}, conn, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatalf("migrate after the crash: %v", err)
			}
			if n := count(t, conn, "SELECT count() FROM entities FINAL"); n != wantEntities {
				t.Errorf("entities holds %d rows, want %d", n, wantEntities)
			}
			if n := count(t, conn, "SELECT count() FROM cues FINAL"); n != wantCues {
				t.Errorf("cues holds %d rows, want %d", n, wantCues)
			}
			if n := count(t, conn, "SELECT count() FROM cues FINAL WHERE sentence = -1 AND idx = 2"); n != 1 {
				t.Errorf("the title cue (sentence -1, idx 2) was not kept")
			}
			if n := count(t, conn, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND (name LIKE '%_idx16' OR name LIKE '%_idx32')"); n != 0 {
				t.Errorf("%d work tables left over", n)
			}
			for col, typ := range map[string]string{"entities.idx": "UInt32", "cues.idx": "UInt32", "cues.sentence": "Int32", "dyads.n_cues": "UInt32"} {
				table, name, _ := strings.Cut(col, ".")
				var got string
				must(t, conn.QueryRow(ctx, "SELECT type FROM system.columns WHERE database = currentDatabase() AND table = ? AND name = ?", table, name).Scan(&got))
				if got != typ {
					t.Errorf("%s is %s, want %s", col, got, typ)
				}
			}
		})
	}
}

// freshDatabase is an empty database, not migrated, dropped at cleanup.
func freshDatabase(t *testing.T) driver.Conn {
	t.Helper()
	chtest.Integration(t)
	var b [4]byte
	rand.Read(b[:])
	name := "tension_test_swap_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := chstore.Open(ctx, chtest.Config(name))
	if err != nil {
		t.Fatalf("ClickHouse at %s: %v — start it with `make up`", chtest.Addr(), err)
	}
	t.Cleanup(func() { chtest.DropLater(conn, name, true) })
	return conn
}

func execAll(t *testing.T, conn driver.Conn, stmts []string) {
	t.Helper()
	for _, s := range stmts {
		if err := conn.Exec(context.Background(), s); err != nil {
			t.Fatalf("%.80s: %v", s, err)
		}
	}
}

// writeOldRows writes rows of the pre-0005 types: entities in 2010 and 2024
// (two copy windows), cues including a title cue (sentence -1).
func writeOldRows(t *testing.T, conn driver.Conn) {
	t.Helper()
	at := func(s string) time.Time { ts, _ := time.Parse(time.DateTime, s); return ts }
	a1, a2, early, late := "0b9a6a4c-0000-5000-8000-000000000001", "0b9a6a4c-0000-5000-8000-000000000002", at("2010-03-01 10:00:00"), at("2024-05-01 00:00:00")
	insert(t, conn, `INSERT INTO entities (published_at, article_id, tagger_version, idx, text, type, canonical, country, start_offset, end_offset, version)`,
		[]any{early, a1, "v1", uint16(0), "Beijing", "GOV", "Chinese government", "CN", uint32(0), uint32(7), uint64(1)},
		[]any{early, a1, "v1", uint16(1), "Washington", "GOV", "US government", "US", uint32(10), uint32(20), uint64(1)},
		[]any{late, a2, "v1", uint16(0), "Beijing", "GOV", "Chinese government", "CN", uint32(0), uint32(7), uint64(1)},
		[]any{late, a2, "v1", uint16(65535), "Beijing", "GOV", "Chinese government", "CN", uint32(0), uint32(7), uint64(1)})
	cue := func(pub time.Time, id string, idx uint16, text string, sentence int16) []any {
		return []any{"CN-US", pub, id, "v1", idx, text, "tariff", sentence, uint32(0), uint32(len(text)),
			"US", "CN", int8(1), 8.0, uint8(0), uint8(0), uint8(0), uint8(0), "", "NEWS", uint64(1)}
	}
	insert(t, conn, `INSERT INTO cues (pair, published_at, article_id, tagger_version, idx, text, category, sentence, start_offset, end_offset,
			actor, target, polarity, weight, hedged, negated, future, background, source, source_type, version)`,
		cue(early, a1, 0, "raised tariffs", 0), cue(early, a1, 2, "trade war", -1), cue(late, a2, 0, "raised tariffs", 3))
	insert(t, conn, `INSERT INTO dyads (pair, published_at, article_id, tagger_version, tension, direction, weight, n_cues, version)`,
		[]any{"CN-US", early, a1, "v1", 0.5, "escalation", 13.0, uint16(2), uint64(1)})
}

func insert(t *testing.T, conn driver.Conn, query string, rows ...[]any) {
	t.Helper()
	b, err := conn.PrepareBatch(context.Background(), query)
	must(t, err)
	for _, r := range rows {
		must(t, b.Append(r...))
	}
	must(t, b.Send())
}

func count(t *testing.T, conn driver.Conn, query string) uint64 {
	t.Helper()
	var n uint64
	must(t, conn.QueryRow(context.Background(), query).Scan(&n))
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
