package chstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"database/sql"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/schemas"
)

// Migration is one numbered DDL file.
type Migration struct {
	Version    uint32
	Name       string
	Statements []string
}

// ErrSchemaNewer: the database records a migration this binary does not
// ship, so a newer release migrated it. Its writers may follow a protocol
// this one does not know (since migration 0012 every journal block's article
// keys go in before the block, and an older sink writes blocks without them:
// their articles could be counted twice), so a writer refuses to start or to
// write another batch, and stops; readers carry on.
var ErrSchemaNewer = errors.New("chstore: the database was migrated by a newer release")

// Migrations reads schemas/migrations/NNNN_name.sql in version order. A file
// whose name does not start with a number is an error, not skipped.
func Migrations() ([]Migration, error) {
	return readMigrations(schemas.FS, "migrations")
}

func readMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("chstore: read migrations: %w", err)
	}
	var out []Migration
	seen := map[uint32]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseUint(num, 10, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("chstore: migration %s: name must be NNNN_name.sql", e.Name())
		}
		if prev, dup := seen[uint32(v)]; dup {
			return nil, fmt.Errorf("chstore: migrations %s and %s share version %d", prev, e.Name(), v)
		}
		seen[uint32(v)] = e.Name()
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("chstore: read %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: uint32(v), Name: e.Name(), Statements: SplitStatements(string(body))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// SplitStatements splits a DDL file into statements: the native protocol runs
// one statement per query. Comments (-- to end of line) are dropped; a
// statement ends with a semicolon at the end of a line.
func SplitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimRight(line, " \t\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		end := strings.HasSuffix(line, ";")
		cur.WriteString(strings.TrimSuffix(line, ";"))
		cur.WriteByte('\n')
		if end {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Migrate applies the migrations not yet recorded in schema_migrations. Every
// statement is idempotent (IF NOT EXISTS; an ADD COLUMN whose column exists is
// skipped), so two services migrating at once, or a crash between a
// statement and its record, is harmless.
//
// On a cluster (cfg.Cluster names it in the server's remote_servers) the
// migrations run on every replica the server lists in system.clusters, one
// migration at a time across all of them: tables become Replicated*MergeTree
// (ReplicatedDDL; a CREATE ... AS copy gets a replication path of its own),
// an ALTER runs on the first replica only (the replication log carries it to
// the others, and the next migration waits until every replica has it), every
// other statement on each replica: CREATE, DROP and RENAME are local to a
// server, and an INSERT ... SELECT run twice writes blocks the replicated
// table keeps once. Each replica records what it applied in its own
// schema_migrations; a replica that has applied none while another has
// (new, or rebuilt) gets the tables it lacks as the other has them now. A
// replica that is down is skipped when it has nothing to apply as far as the
// others show; a pending migration needs every replica up.
func Migrate(ctx context.Context, cfg Config, conn driver.Conn, logger *slog.Logger) error {
	migs, err := Migrations()
	if err != nil {
		return err
	}
	cfg.defaults()
	if cfg.Cluster == "" {
		return migrateReplicas(ctx, migs, "", []*replica{{addr: cfg.Addr, conn: conn}}, logger)
	}
	addrs, err := ClusterReplicas(ctx, conn, cfg.Cluster)
	if err != nil {
		return err
	}
	var (
		replicas []*replica
		down     []string
	)
	for _, a := range addrs {
		rc := cfg
		rc.Addr = a
		rconn, err := Open(ctx, rc)
		if err != nil {
			logger.Warn("replica unreachable for migrations", "replica", a, "err", err)
			down = append(down, a)
			continue
		}
		defer rconn.Close()
		replicas = append(replicas, &replica{addr: a, conn: rconn})
	}
	if len(replicas) == 0 {
		return fmt.Errorf("%w: no replica of cluster %s answers (%v)", ErrUnavailable, cfg.Cluster, addrs)
	}
	for _, r := range replicas {
		if err := r.readApplied(ctx); err != nil {
			return err
		}
	}
	if len(down) > 0 && pending(migs, replicas) {
		return fmt.Errorf("%w: migrations pending and replicas %v down: every replica of %s must be up to migrate", ErrUnavailable, down, cfg.Cluster)
	}
	if err := migrateReplicas(ctx, migs, cfg.Database, replicas, logger); err != nil {
		return err
	}
	return waitSameColumns(ctx, replicas, time.Minute)
}

// replica is one server being migrated.
type replica struct {
	addr    string
	conn    driver.Conn
	applied map[uint32]bool
}

func (r *replica) readApplied(ctx context.Context) error {
	if r.applied != nil {
		return nil
	}
	if err := r.conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied_at DateTime DEFAULT now()
	) ENGINE = ReplacingMergeTree ORDER BY version`); err != nil {
		return fmt.Errorf("chstore: create schema_migrations on %s: %w", r.addr, err)
	}
	applied, err := appliedVersions(ctx, r.conn, 0)
	if err != nil {
		return fmt.Errorf("%w (on %s)", err, r.addr)
	}
	r.applied = applied
	return nil
}

// appliedVersions reads the versions schema_migrations records above
// above (0: all; versions start at 1).
func appliedVersions(ctx context.Context, conn driver.Conn, above uint32) (map[uint32]bool, error) {
	rows, err := conn.Query(ctx, "SELECT DISTINCT version FROM schema_migrations WHERE version > ?", above)
	if err != nil {
		return nil, fmt.Errorf("chstore: read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[uint32]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("chstore: scan schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chstore: read schema_migrations: %w", err)
	}
	return applied, nil
}

func pending(migs []Migration, replicas []*replica) bool {
	for _, m := range migs {
		for _, r := range replicas {
			if !r.applied[m.Version] {
				return true
			}
		}
	}
	return false
}

// migrateReplicas applies each migration on every replica lacking it
// before the next migration. database is "" on a single server (no
// rewriting), else the database whose tables become replicated.
func migrateReplicas(ctx context.Context, migs []Migration, database string, replicas []*replica, logger *slog.Logger) error {
	cluster := database != ""
	for _, r := range replicas {
		if err := r.readApplied(ctx); err != nil {
			return err
		}
		if err := notNewer(migs, r.applied, r.addr); err != nil {
			return err
		}
	}
	if cluster {
		if err := cloneToNewReplicas(ctx, migs, replicas, logger); err != nil {
			return err
		}
	}
	for _, m := range migs {
		ranElsewhere := false
		for _, r := range replicas {
			ranElsewhere = ranElsewhere || r.applied[m.Version]
		}
		for _, r := range replicas {
			if r.applied[m.Version] {
				continue
			}
			for i, stmt := range m.Statements {
				if cluster {
					var err error
					if stmt, err = ReplicatedDDL(stmt, database); err != nil {
						return fmt.Errorf("chstore: migration %s statement %d: %w", m.Name, i+1, err)
					}
					if isAlter(stmt) && ranElsewhere {
						continue // a replicated ALTER: the replication log brings it here
					}
					if stmt, err = replicatedCopy(ctx, r, stmt, database); err != nil {
						return fmt.Errorf("chstore: migration %s statement %d on %s: %w", m.Name, i+1, r.addr, err)
					}
				}
				if err := execStatement(ctx, r, replicas, stmt); err != nil {
					return fmt.Errorf("chstore: migration %s statement %d on %s: %w", m.Name, i+1, r.addr, err)
				}
			}
			if err := r.conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) SELECT ?, ?", m.Version, m.Name); err != nil {
				return fmt.Errorf("chstore: record migration %s on %s: %w", m.Name, r.addr, err)
			}
			r.applied[m.Version] = true
			ranElsewhere = true
			logger.Info("migration applied", "version", m.Version, "name", m.Name, "server", r.addr)
		}
		if cluster {
			if err := waitSameColumns(ctx, replicas, time.Minute); err != nil {
				return fmt.Errorf("chstore: after migration %s: %w", m.Name, err)
			}
		}
	}
	return nil
}

// cloneToNewReplicas gives a replica that has applied no migration, while
// another has applied some, the tables and views it lacks as that one has
// them now (SHOW CREATE TABLE: the same replication paths, so it fetches their
// data), and records the other's migrations as its own. Replaying the
// migrations instead would build tables that later migrations replaced.
func cloneToNewReplicas(ctx context.Context, migs []Migration, replicas []*replica, logger *slog.Logger) error {
	var peer *replica
	for _, r := range replicas {
		if peer == nil || len(r.applied) > len(peer.applied) {
			peer = r
		}
	}
	if peer == nil || len(peer.applied) == 0 {
		return nil
	}
	for _, r := range replicas {
		if len(r.applied) > 0 || r == peer {
			continue
		}
		have := map[string]bool{}
		rows, err := r.conn.Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase()")
		if err != nil {
			return fmt.Errorf("chstore: list the tables of %s: %w", r.addr, err)
		}
		for rows.Next() {
			var n string
			rows.Scan(&n)
			have[n] = true
		}
		rows.Close()
		// Tables before views (a view reads a table).
		rows, err = peer.conn.Query(ctx, `SELECT name FROM system.tables WHERE database = currentDatabase()
			AND name != 'schema_migrations' ORDER BY engine LIKE '%View' , name`)
		if err != nil {
			return fmt.Errorf("chstore: list the tables of %s: %w", peer.addr, err)
		}
		var missing []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			if !have[n] {
				missing = append(missing, n)
			}
		}
		rows.Close()
		for _, n := range missing {
			var def string
			if err := peer.conn.QueryRow(ctx, "SHOW CREATE TABLE "+quoteIdent(n)).Scan(&def); err != nil {
				return fmt.Errorf("chstore: definition of %s on %s: %w", n, peer.addr, err)
			}
			if err := r.conn.Exec(ctx, def); err != nil {
				return fmt.Errorf("chstore: create %s on %s as on %s: %w", n, r.addr, peer.addr, err)
			}
		}
		for _, m := range migs {
			if !peer.applied[m.Version] {
				continue
			}
			if err := r.conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) SELECT ?, ?", m.Version, m.Name); err != nil {
				return fmt.Errorf("chstore: record migration %s on %s: %w", m.Name, r.addr, err)
			}
			r.applied[m.Version] = true
		}
		logger.Info("replica given the current schema", "server", r.addr, "from", peer.addr, "tables", missing)
	}
	return nil
}

// replicatedCopy turns `CREATE TABLE [IF NOT EXISTS] x AS y`, which would
// copy y's replication path along with its columns (and clash with y), into
// the same with y's engine and a path of x's own.
func replicatedCopy(ctx context.Context, r *replica, stmt, database string) (string, error) {
	m := createAsRE.FindStringSubmatch(stmt)
	if m == nil {
		return stmt, nil
	}
	var engine string
	if err := r.conn.QueryRow(ctx, `SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = ?`,
		m[2]).Scan(&engine); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return stmt, nil // the CREATE will say so
		}
		return "", fmt.Errorf("engine of %s: %w", m[2], err)
	}
	engine, ok := withZooKeeperPath(engine, ZooKeeperPath(database, m[1]))
	if !ok {
		return stmt, nil
	}
	return strings.TrimSpace(stmt) + " ENGINE = " + engine, nil
}

// codeStructureDiffers is ClickHouse's INCOMPATIBLE_COLUMNS: a replica
// created from an old CREATE while the table's replication state already
// has later ALTERs.
const codeStructureDiffers = 122

// execStatement runs one statement on r. An ADD COLUMN whose column exists
// is skipped. A replicated table that other replicas already altered is
// created on r with their current definition.
func execStatement(ctx context.Context, r *replica, all []*replica, stmt string) error {
	if table, column, ok := addedColumn(stmt); ok {
		var n uint64
		if err := r.conn.QueryRow(ctx, `SELECT count() FROM system.columns
			WHERE database = currentDatabase() AND table = ? AND name = ?`, table, column).Scan(&n); err != nil {
			return fmt.Errorf("check column %s.%s: %w", table, column, err)
		}
		if n > 0 {
			return nil
		}
	}
	err := r.conn.Exec(ctx, stmt)
	var ex *clickhouse.Exception
	if err == nil || !errors.As(err, &ex) || ex.Code != codeStructureDiffers {
		return err
	}
	m := createTableRE.FindStringSubmatch(stmt)
	if m == nil {
		return err
	}
	for _, other := range all {
		if other == r {
			continue
		}
		var def string
		if other.conn.QueryRow(ctx, "SHOW CREATE TABLE "+quoteIdent(m[1])).Scan(&def) != nil {
			continue
		}
		return r.conn.Exec(ctx, def)
	}
	return err
}

// ClusterReplicas lists the native-protocol addresses of cluster's replicas
// as the server knows them (remote_servers). One shard only: every replica
// holds every table.
func ClusterReplicas(ctx context.Context, conn driver.Conn, cluster string) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT shard_num, host_address, port FROM system.clusters
		WHERE cluster = ? ORDER BY shard_num, replica_num`, cluster)
	if err != nil {
		return nil, fmt.Errorf("chstore: list the replicas of cluster %s: %w", cluster, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			shard uint32
			host  string
			port  uint16
		)
		if err := rows.Scan(&shard, &host, &port); err != nil {
			return nil, fmt.Errorf("chstore: scan system.clusters: %w", err)
		}
		if shard != 1 {
			return nil, fmt.Errorf("chstore: cluster %s has shard %d: one shard of replicas is supported (docs/scaling.md)", cluster, shard)
		}
		out = append(out, net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("chstore: cluster %s is not in the server's remote_servers (system.clusters)", cluster)
	}
	return out, nil
}

// waitSameColumns waits until every replica reports the same columns for
// the database: ALTERs reach the other replicas asynchronously, and a
// service must not insert a new column into a replica that has not got it.
func waitSameColumns(ctx context.Context, replicas []*replica, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var first, differs string
		for i, r := range replicas {
			cols, err := columnsOf(ctx, r.conn)
			if err != nil {
				return err
			}
			if i == 0 {
				first = cols
			} else if cols != first {
				differs = r.addr
			}
		}
		if differs == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("chstore: replica %s still has other columns than %s after %v", differs, replicas[0].addr, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func columnsOf(ctx context.Context, conn driver.Conn) (string, error) {
	rows, err := conn.Query(ctx, `SELECT table, name, type FROM system.columns
		WHERE database = currentDatabase() ORDER BY table, name`)
	if err != nil {
		return "", fmt.Errorf("chstore: read columns: %w", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var t, n, ty string
		if err := rows.Scan(&t, &n, &ty); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s.%s %s\n", t, n, ty)
	}
	return b.String(), rows.Err()
}

// notNewer returns ErrSchemaNewer when applied holds a version that migs
// (this binary's migrations) lacks.
func notNewer(migs []Migration, applied map[uint32]bool, server string) error {
	known := make(map[uint32]bool, len(migs))
	for _, m := range migs {
		known[m.Version] = true
	}
	var unknown []uint32
	for v := range applied {
		if !known[v] {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	latest := uint32(0)
	if len(migs) > 0 {
		latest = migs[len(migs)-1].Version
	}
	return fmt.Errorf("%w: %s has migration %v applied, this binary knows migrations up to %d: run the newer release's binaries (stop this one)",
		ErrSchemaNewer, server, unknown, latest)
}

// CheckNotNewer returns ErrSchemaNewer when the database records a migration
// this binary does not ship. A writer runs it before every batch: Migrate
// refuses a newer database at start, and this stops a writer still running
// when a newer release migrates the database under it (one small query:
// schema_migrations holds a row per migration).
func CheckNotNewer(ctx context.Context, conn driver.Conn) error {
	latest, err := latestVersion()
	if err != nil {
		return err
	}
	applied, err := appliedVersions(ctx, conn, latest)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		return nil
	}
	migs, err := Migrations()
	if err != nil {
		return err
	}
	return notNewer(migs, applied, "the database")
}

// latestVersion is the version of the last migration this binary ships,
// read once: CheckNotNewer runs before every batch.
var latestVersion = sync.OnceValues(func() (uint32, error) {
	migs, err := Migrations()
	if err != nil || len(migs) == 0 {
		return 0, err
	}
	return migs[len(migs)-1].Version, nil
})

// CheckMigrated returns nil when every migration is recorded in
// schema_migrations: what a read-only service checks at start instead of
// migrating (the sink migrates).
func CheckMigrated(ctx context.Context, conn driver.Conn) error {
	migs, err := Migrations()
	if err != nil {
		return err
	}
	applied, err := appliedVersions(ctx, conn, 0)
	if err != nil {
		return fmt.Errorf("%w (start the sink first: it creates and migrates the database)", err)
	}
	for _, m := range migs {
		if !applied[m.Version] {
			return fmt.Errorf("chstore: migration %s is not applied yet (start the sink first: it migrates the database)", m.Name)
		}
	}
	return nil
}
