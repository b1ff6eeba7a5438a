// Package chtest gives integration tests a fresh, migrated ClickHouse
// database on the local server, dropped when the test ends. Integration
// tests run only under TENSION_INTEGRATION=1 (set by `make test`); there a
// missing server fails the test with how to start it, never skips it.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore"
)

// Integration skips t unless TENSION_INTEGRATION=1. Outside `make test` an
// integration test has no server to talk to; inside it, it must run.
func Integration(t testing.TB) {
	t.Helper()
	if os.Getenv("TENSION_INTEGRATION") != "1" {
		t.Skip("integration test: run with `make test` (sets TENSION_INTEGRATION=1)")
	}
}

// Addr is the ClickHouse native address tests use.
func Addr() string {
	if a := os.Getenv("CLICKHOUSE_ADDR"); a != "" {
		return a
	}
	return chstore.DefaultAddr
}

// Config is how tests connect to database as the writer user: the
// CLICKHOUSE_USER / CLICKHOUSE_PASSWORD / CLICKHOUSE_PASSWORD_FILE the
// services read (scripts/integration.sh exports the local platform's),
// else the password file the local platform generated under .local/.
func Config(database string) chstore.Config {
	return config(database, chstore.Writer)
}

// ReaderConfig is Config for the query service's read-only user
// (CLICKHOUSE_READ_USER, CLICKHOUSE_READ_PASSWORD(_FILE)).
func ReaderConfig(database string) chstore.Config {
	return config(database, chstore.Reader)
}

func config(database string, role chstore.Role) chstore.Config {
	userEnv, pwEnv, fileEnv, user, file := "CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD", "CLICKHOUSE_PASSWORD_FILE", chstore.DefaultWriterUser, "tension.password"
	if role == chstore.Reader {
		userEnv, pwEnv, fileEnv, user, file = "CLICKHOUSE_READ_USER", "CLICKHOUSE_READ_PASSWORD", "CLICKHOUSE_READ_PASSWORD_FILE", chstore.DefaultReaderUser, "tension_query.password"
	}
	c := chstore.Config{Addr: Addr(), Database: database, Username: user, Password: os.Getenv(pwEnv),
		Cluster: os.Getenv("CLICKHOUSE_CLUSTER")}
	if u := os.Getenv(userEnv); u != "" {
		c.Username = u
	}
	path := os.Getenv(fileEnv)
	if path == "" && c.Password == "" {
		path = filepath.Join(LocalDir(), "clickhouse", "secrets", file)
	}
	if c.Password == "" {
		if pw, err := chstore.ReadPasswordFile(path); err == nil {
			c.Password = pw
		}
	}
	return c
}

// LocalDir is the local platform's state directory: $TENSION_LOCAL, else
// .local/ in the repository.
func LocalDir() string {
	if d := os.Getenv("TENSION_LOCAL"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), ".local")
}

// RepoRoot is the repository: $TENSION_REPO, else the nearest directory
// above the working directory that holds go.work.
func RepoRoot() string {
	if d := os.Getenv("TENSION_REPO"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}

// setupTimeout bounds creating and migrating a test database. DDL on 18.16
// takes seconds on a loaded two-core machine, so it is generous.
const setupTimeout = 2 * time.Minute

// dropTimeout bounds the best-effort DROP DATABASE at cleanup: on 18.16 under
// load it has taken longer than 30 s.
const dropTimeout = 5 * time.Minute

// dropWait is how long cleanup waits for the drop before leaving it running
// in the background: a slow drop must not hold up (or fail) the suite.
const dropWait = 10 * time.Second

// Open creates and migrates a database named prefix_<random> and returns a
// connection to it and its name. The database is dropped at cleanup, best
// effort: a drop that fails or takes long is reported on stderr and never
// fails the test, whose assertions have all run by then.
func Open(t testing.TB, prefix string) (driver.Conn, string) {
	t.Helper()
	Integration(t)
	var b [4]byte
	rand.Read(b[:])
	name := prefix + "_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	cfg := Config(name)
	conn, err := chstore.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("ClickHouse at %s: %v — start it with `make up` (credentials: CLICKHOUSE_USER, CLICKHOUSE_PASSWORD_FILE, or the local platform's under %s)", Addr(), err, LocalDir())
	}
	if err := chstore.Migrate(ctx, cfg, conn, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate %s: %v", name, err)
	}
	t.Cleanup(func() {
		if os.Getenv("TENSION_KEEP_TEST_DB") != "" {
			conn.Close()
			return
		}
		dropOnOtherReplicas(cfg, conn)
		DropLater(conn, name, true)
	})
	return conn, name
}

// dropOnOtherReplicas drops cfg.Database on every replica of cfg.Cluster
// (the caller's own drop on conn is then a no-op): a replicated table lives
// on each replica, and its ZooKeeper state goes only with the last replica.
func dropOnOtherReplicas(cfg chstore.Config, conn driver.Conn) {
	if cfg.Cluster == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	addrs, err := chstore.ClusterReplicas(ctx, conn, cfg.Cluster)
	if err != nil {
		fmt.Fprintf(os.Stderr, "chtest: cleanup: %v\n", err)
		return
	}
	for _, a := range addrs {
		rc := cfg
		rc.Addr = a
		other, err := chstore.Connect(ctx, rc)
		if err != nil {
			fmt.Fprintf(os.Stderr, "chtest: cleanup: replica %s: %v (database %s left behind; harmless)\n", a, err, cfg.Database)
			continue
		}
		DropLater(other, cfg.Database, true)
	}
}

// DropLater drops database name on conn in the background, best effort, and
// waits up to dropWait for it. A failure or a drop still running is reported
// on stderr (the test may have finished, so not through t). A drop that
// fails is tried once more: after a test restarted the server, the pooled
// connection it took was broken, and the pool dials a new one. With
// closeConn the connection is closed once the drop ends.
func DropLater(conn driver.Conn, name string, closeConn bool) {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
		defer cancel()
		drop := "DROP DATABASE IF EXISTS `" + name + "`"
		err := conn.Exec(ctx, drop)
		if err != nil && ctx.Err() == nil {
			err = conn.Exec(ctx, drop)
		}
		if closeConn {
			conn.Close()
		}
		done <- err
		if err != nil {
			fmt.Fprintf(os.Stderr, "chtest: cleanup: drop database %s: %v (left behind; harmless)\n", name, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(dropWait):
		fmt.Fprintf(os.Stderr, "chtest: cleanup: drop database %s still running after %v; continuing without it\n", name, dropWait)
	}
}

// Cluster skips t unless TENSION_CLUSTER=1, which `make test-cluster` sets
// with the local cluster's environment (scripts/cluster.sh env); there a
// missing cluster fails the test with how to start it.
func Cluster(t testing.TB) {
	t.Helper()
	Integration(t)
	if os.Getenv("TENSION_CLUSTER") != "1" {
		t.Skip("cluster test: run with `make test-cluster` (sets TENSION_CLUSTER=1)")
	}
	if os.Getenv("CLICKHOUSE_CLUSTER") == "" {
		t.Fatal("TENSION_CLUSTER=1 but CLICKHOUSE_CLUSTER is not set: eval \"$(scripts/cluster.sh env)\" after `make up-cluster`")
	}
}

// Replicas connects to every replica of the cluster that holds database
// (as the writer user) and closes the connections at cleanup.
func Replicas(t testing.TB, database string) []driver.Conn {
	t.Helper()
	cfg := Config(database)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	first, err := chstore.Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("ClickHouse cluster at %s: %v — start it with `make up-cluster`", cfg.Addr, err)
	}
	defer first.Close()
	addrs, err := chstore.ClusterReplicas(ctx, first, cfg.Cluster)
	if err != nil {
		t.Fatal(err)
	}
	var out []driver.Conn
	for _, a := range addrs {
		rc := cfg
		rc.Addr = a
		c, err := chstore.Connect(ctx, rc)
		if err != nil {
			t.Fatalf("replica %s: %v", a, err)
		}
		t.Cleanup(func() { c.Close() })
		out = append(out, c)
	}
	return out
}

// Insert sends rows to conn as one block of the INSERT sql (which names
// its columns), failing tb on any error.
func Insert(tb testing.TB, conn driver.Conn, sql string, rows ...[]any) {
	tb.Helper()
	b, err := conn.PrepareBatch(context.Background(), sql)
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			tb.Fatalf("%s: %v", sql, err)
		}
	}
	if err := b.Send(); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// The raw tables' INSERT statements with every column named, for the
// fixtures of tests that write raw rows (use with Insert).
const (
	InsertArticles = `INSERT INTO articles (article_id, tagger_version, published_at, received_at, enriched_at, url, source,
		title, text, relevant, countries, topics, pairs, src_partition, src_offset, version)`
	InsertDyads    = `INSERT INTO dyads (pair, published_at, article_id, tagger_version, tension, direction, weight, n_cues, version)`
	InsertCues     = `INSERT INTO cues (pair, published_at, article_id, tagger_version, idx, text, category, sentence, start_offset, end_offset, actor, target, polarity, weight, hedged, negated, future, background, source, source_type, version)`
	InsertEntities = `INSERT INTO entities (published_at, article_id, tagger_version, idx, text, type, canonical, country, start_offset, end_offset, version)`
)
