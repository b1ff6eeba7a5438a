package chstore

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/schemas"
)

// Migration is one numbered DDL file.
type Migration struct {
	Version    uint32
	Name       string
	Statements []string
}

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
// statement is idempotent (IF NOT EXISTS), so two services migrating at once,
// or a crash between a statement and its record, is harmless.
func Migrate(ctx context.Context, conn driver.Conn, logger *slog.Logger) error {
	migs, err := Migrations()
	if err != nil {
		return err
	}
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied_at DateTime DEFAULT now()
	) ENGINE = ReplacingMergeTree ORDER BY version`); err != nil {
		return fmt.Errorf("chstore: create schema_migrations: %w", err)
	}
	applied := map[uint32]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("chstore: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("chstore: scan schema_migrations: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("chstore: read schema_migrations: %w", err)
	}
	for _, m := range migs {
		if applied[m.Version] {
			continue
		}
		for i, stmt := range m.Statements {
			if err := conn.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("chstore: migration %s statement %d: %w", m.Name, i+1, err)
			}
		}
		if err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) SELECT ?, ?", m.Version, m.Name); err != nil {
			return fmt.Errorf("chstore: record migration %s: %w", m.Name, err)
		}
		logger.Info("migration applied", "version", m.Version, "name", m.Name)
	}
	return nil
}

// CheckMigrated returns nil when every migration is recorded in
// schema_migrations: what a read-only service checks at start instead of
// migrating (the sink migrates).
func CheckMigrated(ctx context.Context, conn driver.Conn) error {
	migs, err := Migrations()
	if err != nil {
		return err
	}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("chstore: read schema_migrations: %w (start the sink first: it creates and migrates the database)", err)
	}
	defer rows.Close()
	applied := map[uint32]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("chstore: scan schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("chstore: read schema_migrations: %w", err)
	}
	for _, m := range migs {
		if !applied[m.Version] {
			return fmt.Errorf("chstore: migration %s is not applied yet (start the sink first: it migrates the database)", m.Name)
		}
	}
	return nil
}
