package chstore_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/chstore/chtest"
)

// TestIntegrationClusterMigrations runs the same numbered migrations as the
// single node on the local cluster: every MergeTree table is a
// Replicated*MergeTree on every replica, with the same columns (the ALTERs
// reached every replica), rows written on one replica show on the other,
// and a replica that lost a table gets it back with the current definition.
func TestIntegrationClusterMigrations(t *testing.T) {
	chtest.Cluster(t)
	conn, db := chtest.Open(t, "tension_test_cluster_migrate")
	replicas := chtest.Replicas(t, db)
	if len(replicas) < 2 {
		t.Fatalf("%d replicas; the cluster has two", len(replicas))
	}
	ctx := context.Background()
	for i, r := range replicas {
		engines := map[string]string{}
		rows, err := r.Query(ctx, "SELECT name, engine FROM system.tables WHERE database = currentDatabase()")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n, e string
			rows.Scan(&n, &e)
			engines[n] = e
		}
		rows.Close()
		for _, table := range []string{"articles", "article_versions", "entities", "dyads", "cues", "index_journal"} {
			if !strings.HasPrefix(engines[table], "Replicated") {
				t.Errorf("replica %d: %s has engine %q, want Replicated*", i+1, table, engines[table])
			}
		}
		var typ string
		if err := r.QueryRow(ctx, `SELECT type FROM system.columns WHERE database = currentDatabase()
			AND table = 'cues' AND name = 'sentence'`).Scan(&typ); err != nil || typ != "Int32" {
			t.Errorf("replica %d: cues.sentence is %q (%v), want Int32 (migrations 0004, 0005)", i+1, typ, err)
		}
		for col, want := range map[string]string{"lang": "String", "unsupported": "UInt8", "published_at_source": "String"} {
			if err := r.QueryRow(ctx, `SELECT type FROM system.columns WHERE database = currentDatabase()
				AND table = 'articles' AND name = ?`, col).Scan(&typ); err != nil || typ != want {
				t.Errorf("replica %d: articles.%s is %q (%v), want %s (migrations 0009, 0011)", i+1, col, typ, err, want)
			}
		}
		var key string
		if err := r.QueryRow(ctx, `SELECT sorting_key FROM system.tables WHERE database = currentDatabase()
			AND name = 'index_journal'`).Scan(&key); err != nil || !strings.HasSuffix(key, "in_current, cell, marker") {
			t.Errorf("replica %d: index_journal is sorted by %q (%v), want it to end with in_current, cell, marker (migrations 0013, 0015, 0016)", i+1, key, err)
		}
	}

	// A row inserted through the first replica is on the second within seconds.
	if err := replicas[0].Exec(ctx, `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket,
		src_partition, position, entries) SELECT 'bucket', '', 'minute', '*', '', toDateTime(0), 0, 0, 1`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n uint64
		if err := replicas[1].QueryRow(ctx, "SELECT count() FROM index_journal").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the row inserted on replica 1 did not reach replica 2 within 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// A replica that lost a table (and its record) gets it back, with the
	// column type a later migration changed, though the CREATE in 0001 is older.
	if err := replicas[1].Exec(ctx, "DROP TABLE cues"); err != nil {
		t.Fatal(err)
	}
	if err := replicas[1].Exec(ctx, "DROP TABLE schema_migrations"); err != nil {
		t.Fatal(err)
	}
	if err := chstore.Migrate(ctx, chtest.Config(db), conn, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate with a replica that lost a table: %v", err)
	}
	var typ string
	if err := replicas[1].QueryRow(ctx, `SELECT type FROM system.columns WHERE database = currentDatabase()
		AND table = 'cues' AND name = 'sentence'`).Scan(&typ); err != nil || typ != "Int32" {
		t.Fatalf("recreated cues.sentence is %q (%v), want Int32", typ, err)
	}
}
