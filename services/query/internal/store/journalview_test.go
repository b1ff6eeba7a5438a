package store

import (
	"strings"
	"testing"
)

// Every statement over bucket or cell rows has its view condition in both
// forms, and only there: a named view reads its version's rows, the current
// view its own and every row in it too (in_current), with one argument.
func TestViewStatements(t *testing.T) {
	for name, s := range map[string]viewStatement{
		"index": indexSQL, "index by month": indexMonthSQL, "base": baseSQL, "pairs": pairsSQL,
		"cell index": cellIndexSQL, "cell index by month": cellIndexMonthSQL, "cell base": cellBaseSQL,
	} {
		for view, sql := range map[string]string{"": s.of(""), "v1": s.of("v1")} {
			if strings.Contains(sql, viewPlaceholder) {
				t.Errorf("%s, view %q: %s left in the statement", name, view, viewPlaceholder)
			}
			if n := strings.Count(sql, "tagger_version = ?"); n != 1 {
				t.Errorf("%s, view %q: %d view conditions, want 1", name, view, n)
			}
			if got := strings.Contains(sql, "in_current = 1"); got != (view == "") {
				t.Errorf("%s, view %q: reads rows in the current view too: %v", name, view, got)
			}
		}
		if strings.Count(s.of(""), "?") != strings.Count(s.of("v1"), "?") {
			t.Errorf("%s: the two forms take different arguments", name)
		}
	}
}
