package chstore_test

import (
	"context"
	"log/slog"
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
	for _, table := range []string{"articles", "entities", "dyads", "cues", "index_journal", "index_buckets"} {
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
