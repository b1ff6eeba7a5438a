package chstore

import (
	"fmt"
	"regexp"
	"strings"
)

// The migrations are written once, for a single server. On a cluster
// (Config.Cluster set) every table must be a Replicated*MergeTree so that
// each replica holds all of it; ReplicatedDDL derives that statement from
// the single-server one, so both deployments run the same numbered files.

var (
	createTableRE = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\b`)
	engineRE      = regexp.MustCompile(`(?is)\bENGINE\s*=\s*([A-Za-z]*)MergeTree\b`)
	identRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ZooKeeperPath is where a replicated table keeps its replication state:
// one path per shard, database and table, filled by the server's {shard}
// macro, as the ClickHouse documentation recommends.
func ZooKeeperPath(database, table string) string {
	return "/clickhouse/tables/{shard}/" + database + "/" + table
}

// ReplicatedDDL rewrites a CREATE TABLE whose engine is a *MergeTree into
// its Replicated* form on database, keeping the engine's own parameters:
//
//	ENGINE = SummingMergeTree((a, b))  →
//	ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/db/t', '{replica}', (a, b))
//
// Every other statement (views, ALTERs, tables with other engines, tables
// already replicated) is returned unchanged.
func ReplicatedDDL(stmt, database string) (string, error) {
	m := createTableRE.FindStringSubmatch(stmt)
	if m == nil {
		return stmt, nil
	}
	loc := engineRE.FindStringSubmatchIndex(stmt)
	if loc == nil {
		return stmt, nil
	}
	family := stmt[loc[2]:loc[3]]
	if strings.HasPrefix(strings.ToLower(family), "replicated") {
		return stmt, nil
	}
	if !identRE.MatchString(database) {
		return "", fmt.Errorf("chstore: database name %q cannot be used in a ZooKeeper path (letters, digits, _)", database)
	}
	table := m[1]
	rest := stmt[loc[1]:]
	args := ""
	if trimmed := strings.TrimLeft(rest, " \t\r\n"); strings.HasPrefix(trimmed, "(") {
		end, err := matchingParen(trimmed)
		if err != nil {
			return "", fmt.Errorf("chstore: table %s: engine parameters: %w", table, err)
		}
		args = strings.TrimSpace(trimmed[1:end])
		rest = trimmed[end+1:]
	}
	params := fmt.Sprintf("'%s', '{replica}'", ZooKeeperPath(database, table))
	if args != "" {
		params += ", " + args
	}
	return stmt[:loc[0]] + "ENGINE = Replicated" + family + "MergeTree(" + params + ")" + rest, nil
}

// matchingParen returns the index of the parenthesis closing s[0].
func matchingParen(s string) (int, error) {
	depth := 0
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted:
			if c == '\\' {
				i++
			} else if c == '\'' {
				quoted = false
			}
		case c == '\'':
			quoted = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("unbalanced parentheses in %.60q", s)
}

// isAlter reports whether stmt is an ALTER: on a cluster it runs on one
// replica and reaches the others through the replication log, while every
// other statement runs on each.
func isAlter(stmt string) bool { return alterRE.MatchString(stmt) }

var (
	alterRE    = regexp.MustCompile(`(?is)^\s*ALTER\s`)
	createAsRE = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s+AS\s+([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	quotedRE   = regexp.MustCompile(`'(?:[^'\\]|\\.)*'`)
)

// withZooKeeperPath returns a replicated engine (as system.tables shows it
// in engine_full) with its replication path, the first quoted parameter,
// replaced by path; ok is false for an engine that is not replicated.
func withZooKeeperPath(engine, path string) (string, bool) {
	if !strings.HasPrefix(engine, "Replicated") {
		return "", false
	}
	loc := quotedRE.FindStringIndex(engine)
	if loc == nil {
		return "", false
	}
	return engine[:loc[0]] + "'" + path + "'" + engine[loc[1]:], true
}

// alterAddColumnRE finds `ALTER TABLE t ADD COLUMN c`: ClickHouse 18.16 has
// no ADD COLUMN IF NOT EXISTS, so Migrate checks the column itself and
// skips a statement whose first added column exists — which keeps such a
// migration idempotent like the others.
var alterAddColumnRE = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+ADD\s+COLUMN\s+([A-Za-z_][A-Za-z0-9_]*)\b`)

// addedColumn returns the table and the first column an ALTER ... ADD
// COLUMN statement adds.
func addedColumn(stmt string) (table, column string, ok bool) {
	m := alterAddColumnRE.FindStringSubmatch(stmt)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}
