package chstore

import (
	"strings"
	"testing"
)

func TestReplicatedDDL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"summing with a tuple of columns",
			"CREATE TABLE IF NOT EXISTS j (a Int64) ENGINE = SummingMergeTree((a, b))\nPARTITION BY tuple()\nORDER BY (a)",
			"CREATE TABLE IF NOT EXISTS j (a Int64) ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/db/j', '{replica}', (a, b))\nPARTITION BY tuple()\nORDER BY (a)"},
		{"replacing with a version column",
			"CREATE TABLE IF NOT EXISTS articles (v UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY v",
			"CREATE TABLE IF NOT EXISTS articles (v UInt64) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/articles', '{replica}', version) ORDER BY v"},
		{"no parameters, no parentheses",
			"CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x",
			"CREATE TABLE t (x UInt8) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/db/t', '{replica}') ORDER BY x"},
		{"empty parentheses",
			"CREATE TABLE t (x UInt8) ENGINE=ReplacingMergeTree() ORDER BY x",
			"CREATE TABLE t (x UInt8) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/t', '{replica}') ORDER BY x"},
		{"quoted parenthesis in a parameter",
			"CREATE TABLE t (x UInt8) ENGINE = CollapsingMergeTree(if(x = ')', 1, -1)) ORDER BY x",
			"CREATE TABLE t (x UInt8) ENGINE = ReplicatedCollapsingMergeTree('/clickhouse/tables/{shard}/db/t', '{replica}', if(x = ')', 1, -1)) ORDER BY x"},
		{"already replicated", "CREATE TABLE t (x UInt8) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY x",
			"CREATE TABLE t (x UInt8) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY x"},
		{"a view", "CREATE VIEW IF NOT EXISTS v AS SELECT 1", "CREATE VIEW IF NOT EXISTS v AS SELECT 1"},
		{"an alter", "ALTER TABLE cues MODIFY COLUMN sentence Int16", "ALTER TABLE cues MODIFY COLUMN sentence Int16"},
		{"another engine", "CREATE TABLE t (x UInt8) ENGINE = Memory", "CREATE TABLE t (x UInt8) ENGINE = Memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReplicatedDDL(tt.in, "db")
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestReplicatedDDLErrors(t *testing.T) {
	if _, err := ReplicatedDDL("CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x", "a/b"); err == nil {
		t.Fatal("a database name with a slash must be refused: it would change the ZooKeeper path")
	}
	if _, err := ReplicatedDDL("CREATE TABLE t (x UInt8) ENGINE = SummingMergeTree((a, b) ORDER BY x", "db"); err == nil {
		t.Fatal("unbalanced engine parameters must be an error")
	}
}

// Every table of the real migrations becomes replicated, with a path of its
// own; nothing else changes.
func TestReplicatedDDLOnTheMigrations(t *testing.T) {
	migs, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	tables := 0
	for _, m := range migs {
		for _, stmt := range m.Statements {
			got, err := ReplicatedDDL(stmt, "tension")
			if err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
			if !createTableRE.MatchString(stmt) || !engineRE.MatchString(stmt) {
				if got != stmt {
					t.Errorf("%s: a statement without a MergeTree table changed:\n%s", m.Name, got)
				}
				continue
			}
			tables++
			table := createTableRE.FindStringSubmatch(stmt)[1]
			path := "'/clickhouse/tables/{shard}/tension/" + table + "', '{replica}'"
			if !strings.Contains(got, "ENGINE = Replicated") || !strings.Contains(got, path) {
				t.Errorf("%s: table %s not replicated:\n%s", m.Name, table, got)
			}
			if paths[path] {
				t.Errorf("%s: path %s used twice", m.Name, path)
			}
			paths[path] = true
			if strings.Count(got, "(") != strings.Count(got, ")") {
				t.Errorf("%s: unbalanced result:\n%s", m.Name, got)
			}
		}
	}
	if tables < 5 {
		t.Fatalf("only %d tables found in the migrations", tables)
	}
}

func TestAddedColumn(t *testing.T) {
	table, col, ok := addedColumn("ALTER TABLE index_journal ADD COLUMN blk String DEFAULT '', MODIFY ORDER BY (a, blk)")
	if !ok || table != "index_journal" || col != "blk" {
		t.Fatalf("got %q %q %v", table, col, ok)
	}
	if _, _, ok := addedColumn("ALTER TABLE cues MODIFY COLUMN sentence Int16"); ok {
		t.Fatal("MODIFY COLUMN is not an ADD COLUMN")
	}
}

func FuzzReplicatedDDL(f *testing.F) {
	f.Add("CREATE TABLE IF NOT EXISTS j (a Int64) ENGINE = SummingMergeTree((a, b)) ORDER BY a")
	f.Add("CREATE TABLE t (x UInt8) ENGINE = CollapsingMergeTree(if(x = ')', 1, -1)) ORDER BY x")
	f.Add("CREATE TABLE t ENGINE = MergeTree(")
	f.Fuzz(func(t *testing.T, stmt string) {
		got, err := ReplicatedDDL(stmt, "db")
		if err != nil {
			return
		}
		if got == stmt {
			return
		}
		if !strings.Contains(got, "ENGINE = Replicated") || !strings.Contains(got, "'{replica}'") {
			t.Fatalf("rewritten without a replicated engine: %q", got)
		}
		again, err := ReplicatedDDL(got, "db")
		if err != nil || again != got {
			t.Fatalf("rewriting twice changed it again: %q → %q (%v)", got, again, err)
		}
	})
}
