package store

import "strings"

// viewStatement is a statement over the journal's bucket or cell rows in
// the two forms a view needs. A row in the current view too (in_current,
// migration 0014: the sink writes an article counted under its current
// version once for both views) belongs to its tagger_version's view and to
// the current view (""): a named view reads its version's rows, the
// current view its own rows and every in_current row. The condition takes
// one argument, the view, in both forms, so callers bind the same values;
// a named view's form keeps tagger_version in the condition alone, where
// the journal's sorting key prunes by it.
type viewStatement struct{ named, current string }

// viewPlaceholder marks where a statement's view condition goes.
const viewPlaceholder = "{view}"

// The view conditions: a named view's rows, and the current view's (its
// own rows, bound as "", and every row in it too).
const (
	namedViewRows   = "tagger_version = ?"
	currentViewRows = "(tagger_version = ? OR in_current = 1)"
)

// newViewStatement returns sql with its {view} as both forms.
func newViewStatement(sql string) viewStatement {
	return viewStatement{
		named:   strings.Replace(sql, viewPlaceholder, namedViewRows, 1),
		current: strings.Replace(sql, viewPlaceholder, currentViewRows, 1),
	}
}

// of returns the statement for view ("" is the current view).
func (s viewStatement) of(view string) string {
	if view == "" {
		return s.current
	}
	return s.named
}
