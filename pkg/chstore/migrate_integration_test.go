package chstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/chstore/chtest"
)

func TestIntegrationMigrateTwiceIsHarmless(t *testing.T) {
	conn, db := chtest.Open(t, "tension_test_migrate")
	ctx := context.Background()
	if err := chstore.Migrate(ctx, chtest.Config(db), conn, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	migs, err := chstore.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM schema_migrations FINAL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if int(n) != len(migs) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(migs))
	}
	for _, table := range []string{"articles", "entities", "dyads", "cues", "index_journal", "index_buckets", "article_keys"} {
		var c uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = ?", table).Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c != 1 {
			t.Errorf("table %s missing", table)
		}
	}
}

// Migrations 0009 and 0011 add articles.lang, articles.unsupported and
// articles.published_at_source: rows written without them (by a sink older
// than the migration) read ”, 0 and ”, and
// running the migration's statements again is skipped, not an error
// (18.16 has no ADD COLUMN IF NOT EXISTS).
func TestIntegrationArticleLangColumns(t *testing.T) {
	conn, db := chtest.Open(t, "tension_test_migrate_lang")
	ctx := context.Background()
	if err := conn.Exec(ctx, `INSERT INTO articles (article_id, tagger_version, published_at, version)
		SELECT toUUID('00000000-0000-5000-8000-000000000001'), 'tagger-1.0.0', toDateTime('2025-04-02 00:00:00'), 1`); err != nil {
		t.Fatal(err)
	}
	var (
		lang, dateSource string
		unsupported      uint8
	)
	if err := conn.QueryRow(ctx, "SELECT lang, unsupported, published_at_source FROM articles").Scan(&lang, &unsupported, &dateSource); err != nil {
		t.Fatal(err)
	}
	if lang != "" || unsupported != 0 || dateSource != "" {
		t.Fatalf("an old row reads lang %q unsupported %d published_at_source %q, want '', 0 and ''", lang, unsupported, dateSource)
	}
	// Forget every record: each migration runs again, 0009 on a table
	// that has its columns.
	if err := conn.Exec(ctx, "DROP TABLE schema_migrations"); err != nil {
		t.Fatal(err)
	}
	if err := chstore.Migrate(ctx, chtest.Config(db), conn, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrations again: %v", err)
	}
	if err := conn.QueryRow(ctx, "SELECT lang, unsupported FROM articles").Scan(&lang, &unsupported); err != nil || lang != "" {
		t.Fatalf("after migrating again: lang %q (%v)", lang, err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, `SELECT count() FROM system.columns WHERE database = currentDatabase()
		AND table = 'articles' AND name IN ('lang', 'unsupported', 'published_at_source')`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("articles has %d of the columns lang, unsupported, published_at_source (%v)", n, err)
	}
}

// Migration 0012 fills article_keys from the journal as it stands: every
// (article, block) the journal's article rows hold, the legacy block (the
// empty id) and a compensation's '<id>~' included, and nothing of the
// other kinds.
func TestIntegrationArticleKeysFilledFromTheJournal(t *testing.T) {
	conn, db := chtest.Open(t, "tension_test_migrate_keys")
	ctx := context.Background()
	// Rows as a sink older than the migration wrote them: no keys beside.
	if err := conn.Exec(ctx, `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket, entries, articles, blk)
		SELECT kind, key, 'none', pair, '', toDateTime('2025-04-02 00:00:00'), 1, n, blk FROM (
			SELECT arrayJoin([
				('article', 'a1', '*', 1, '0000000003-a'), ('article', 'a1', 'CN-US', 1, '0000000003-a'),
				('article', 'a2', '*', 1, '0000000003-a'), ('article', 'a2', '*', -1, '0000000003-a~'),
				('article', 'a3', '*', 1, ''),
				('range', 'enriched@x', '', 0, '0000000003-a'),
				('bucket', '', '*', 1, '')]) AS r,
			r.1 AS kind, r.2 AS key, r.3 AS pair, r.4 AS n, r.5 AS blk)`); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"DROP TABLE article_keys", "DROP TABLE schema_migrations"} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	if err := chstore.Migrate(ctx, chtest.Config(db), conn, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrations again: %v", err)
	}
	rows, err := conn.Query(ctx, "SELECT DISTINCT key, blk FROM article_keys ORDER BY key, blk")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var key, blk string
		if err := rows.Scan(&key, &blk); err != nil {
			t.Fatal(err)
		}
		got = append(got, key+"/"+blk)
	}
	want := []string{"a1/0000000003-a", "a2/0000000003-a", "a2/0000000003-a~", "a3/"}
	if !slices.Equal(got, want) {
		t.Fatalf("article_keys holds %q, want %q", got, want)
	}
}

// A database a newer release migrated (a version this binary does not ship
// in schema_migrations) is refused by Migrate, which every writer runs at
// start, and by CheckNotNewer, which a running writer checks before each
// batch; before the newer row both pass.
func TestIntegrationNewerSchemaStopsWriters(t *testing.T) {
	conn, db := chtest.Open(t, "tension_test_migrate_newer")
	ctx := context.Background()
	if err := chstore.CheckNotNewer(ctx, conn); err != nil {
		t.Fatalf("check on this release's schema: %v", err)
	}
	migs, err := chstore.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	newer := migs[len(migs)-1].Version + 1
	if err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) SELECT ?, 'from_a_newer_release.sql'", newer); err != nil {
		t.Fatal(err)
	}
	if err := chstore.CheckNotNewer(ctx, conn); !errors.Is(err, chstore.ErrSchemaNewer) {
		t.Fatalf("check after a newer migration: %v, want ErrSchemaNewer", err)
	}
	err = chstore.Migrate(ctx, chtest.Config(db), conn, slog.New(slog.DiscardHandler))
	if !errors.Is(err, chstore.ErrSchemaNewer) {
		t.Fatalf("migrate after a newer migration: %v, want ErrSchemaNewer", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(newer)) {
		t.Errorf("the error does not name migration %d: %v", newer, err)
	}
	if err := chstore.CheckMigrated(ctx, conn); err != nil {
		t.Errorf("a reader's check refuses the newer schema: %v", err)
	}
}
