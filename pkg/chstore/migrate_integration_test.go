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
