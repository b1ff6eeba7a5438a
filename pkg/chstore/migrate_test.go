package chstore

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"two statements with comments", "-- head\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\nCREATE VIEW b AS SELECT 1; -- tail\n",
			[]string{"CREATE TABLE a (x UInt8) ENGINE = Memory", "CREATE VIEW b AS SELECT 1"}},
		{"multi-line", "CREATE TABLE a (\n  x UInt8 -- the x\n) ENGINE = Memory;\n",
			[]string{"CREATE TABLE a (\n  x UInt8\n) ENGINE = Memory"}},
		{"no trailing semicolon", "SELECT 1\n", []string{"SELECT 1"}},
		{"only comments", "-- nothing\n\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SplitStatements(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMigrationsAreOrderedAndIdempotent(t *testing.T) {
	migs, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(migs) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, m := range migs {
		if i > 0 && m.Version <= migs[i-1].Version {
			t.Fatalf("migration %s out of order", m.Name)
		}
		for _, s := range m.Statements {
			_, _, addsColumn := addedColumn(s) // skipped by Migrate when the column exists
			if !rerunnable(s) && !addsColumn {
				t.Errorf("%s: statement is not idempotent: %.60s", m.Name, s)
			}
		}
	}
}

func TestReadMigrationsRejectsBadNames(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
	}{
		{"no number", fstest.MapFS{"m/init.sql": {Data: []byte("SELECT 1;")}}},
		{"duplicate version", fstest.MapFS{"m/0001_a.sql": {Data: []byte("SELECT 1;")}, "m/1_b.sql": {Data: []byte("SELECT 1;")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := readMigrations(tt.files, "m"); err == nil {
				t.Fatal("want error")
			}
		})
	}
}

// rerunnable: a statement that can run again after a crash. Besides the
// idempotent forms, a copy into a ReplacingMergeTree (duplicates collapse),
// a drop of a table that may be gone and a RENAME inside a copy-and-swap
// sequence are allowed: TestIntegrationSwapMigrationResumes re-runs such a
// migration from every kind of crash point.
func rerunnable(s string) bool {
	for _, form := range []string{"IF NOT EXISTS", "MODIFY COLUMN", "DROP TABLE IF EXISTS"} {
		if strings.Contains(s, form) {
			return true
		}
	}
	return strings.HasPrefix(s, "RENAME TABLE ") ||
		(strings.HasPrefix(s, "INSERT INTO ") && strings.Contains(s, " SELECT * FROM "))
}

func TestNotNewerNamesTheUnknownMigrations(t *testing.T) {
	migs := []Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 2, Name: "0002_b.sql"}}
	tests := []struct {
		name    string
		applied map[uint32]bool
		want    string // "" = nil
	}{
		{"none applied", map[uint32]bool{}, ""},
		{"some applied", map[uint32]bool{1: true}, ""},
		{"all applied", map[uint32]bool{1: true, 2: true}, ""},
		{"a newer one", map[uint32]bool{1: true, 2: true, 3: true}, "[3] applied, this binary knows migrations up to 2"},
		{"two newer, sorted", map[uint32]bool{2: true, 9: true, 4: true}, "[4 9] applied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notNewer(migs, tt.applied, "srv")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrSchemaNewer) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrSchemaNewer with %q", err, tt.want)
			}
		})
	}
}
