package store

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWithLangPutsTheFilterAndItsArgumentsInPlace(t *testing.T) {
	from, to := time.Unix(100, 0), time.Unix(200, 0)
	sql, args := withLang("SELECT 1 WHERE a = ? AND b = ?/*lang*/ LIMIT ?", []any{"x", "y", 5}, 2, "zh", from, to)
	if !strings.Contains(sql, "b = ?\n      AND article_id IN (") || strings.Contains(sql, langMarker) {
		t.Fatalf("sql = %s", sql)
	}
	if want := []any{"x", "y", int64(100), int64(200), "zh", "zh-%", 5}; !reflect.DeepEqual(args, want) {
		t.Fatalf("args = %v, want %v", args, want)
	}
	if strings.Count(sql, "?") != len(args) {
		t.Fatalf("%d placeholders for %d arguments", strings.Count(sql, "?"), len(args))
	}
	sql, args = withLang("SELECT 1 WHERE a = ?/*lang*/", []any{"x"}, 1, "", from, to)
	if sql != "SELECT 1 WHERE a = ?" || len(args) != 1 {
		t.Fatalf("no filter: %q %v", sql, args)
	}
}

// Every query that takes the filter has its marker, after the clause whose
// arguments come first.
func TestLangMarkers(t *testing.T) {
	for name, sql := range map[string]string{
		"driversCurrent": driversCurrentSQL, "driversVersion": driversVersionSQL,
		"entitiesTopCurrent": entitiesRawCurrentSQL, "entitiesTopCurrentPair": entitiesRawCurrentPairSQL,
		"entitiesTopVersion": entitiesRawVersionSQL, "entitiesTopVersionOnPair": entitiesRawVersionOnPairSQL,
		"cuesTopCurrent": cuesRawCurrentSQL, "cuesTopVersion": cuesRawVersionSQL,
	} {
		if strings.Count(sql, langMarker) != 1 {
			t.Errorf("%s: %d lang markers, want 1", name, strings.Count(sql, langMarker))
		}
	}
}
