package store

import "github.com/tension-dev/tension/pkg/tension"

// CellFilter selects part of a pair's index by the split dimensions
// (docs/views.md, tension.Cell): the acting side, the source type and the
// article language. The zero value selects everything (the plain index).
type CellFilter struct {
	Actor    string // a code of the pair, or NoActor for articles no side dominates; "" any
	HasActor bool   // Actor is set (NoActor is "" in the journal)
	Source   string // a tension.SourceTypes value; "" any
	Lang     string // e.g. "en", "zh"; "" any
}

// NoActor is the API's name for articles no side dominates (journal actor "").
const NoActor = "none"

// Active reports whether f selects less than the whole pair.
func (f CellFilter) Active() bool { return f.HasActor || f.Source != "" || f.Lang != "" }

// cellWhere selects the pair's matching cell rows and the denominator: the
// all-articles count of the language when Lang is set (the "*" language
// cell), else of every article (the "*" bucket row). The text is constant;
// cellArgs binds the values in its order.
const cellWhere = `((kind = 'cell' AND pair = ?
        AND (? = 0 OR splitByChar('|', key)[1] = ?)
        AND (? = '' OR splitByChar('|', key)[2] = ?)
        AND (? = '' OR splitByChar('|', key)[3] = ?))
    OR (pair = '*' AND kind = ? AND key = ?))`

func cellArgs(pair string, f CellFilter) []any {
	actor := f.Actor
	if actor == NoActor {
		actor = ""
	}
	var hasActor uint8
	if f.HasActor {
		hasActor = 1
	}
	allKind, allKey := "bucket", ""
	if f.Lang != "" {
		allKind, allKey = "cell", tension.Cell{Lang: f.Lang}.Key()
	}
	return []any{pair, hasActor, actor, f.Source, f.Source, f.Lang, f.Lang, allKind, allKey}
}

// cellIndexSQL and cellIndexMonthSQL give one row per bucket, like
// indexSQL: the denominator from the "*" rows, the parts from the cells.
const cellIndexSQL = `
SELECT bucket,` + bucketParts + `
FROM index_journal
WHERE ` + cellWhere + ` AND granularity = ? AND tagger_version = ?
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
GROUP BY bucket
ORDER BY bucket`

const cellIndexMonthSQL = `
SELECT toDateTime(toStartOfMonth(bucket, 'UTC'), 'UTC') AS month,` + bucketParts + `
FROM index_journal
WHERE ` + cellWhere + ` AND granularity = 'day' AND tagger_version = ?
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
GROUP BY month
ORDER BY month`

const cellBaseSQL = `
SELECT sumIf(escalating, pair != '*'), sumIf(articles, pair = '*')
FROM index_journal
WHERE ` + cellWhere + ` AND granularity = ? AND tagger_version = ?
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)`

// cellIndexStatement is Index's statement and arguments for a filtered query.
func cellIndexStatement(q IndexQuery) (string, []any) {
	args := cellArgs(q.Pair, q.Cell)
	if q.ByMonth {
		return cellIndexMonthSQL, append(args, q.TaggerVersion, unix(q.From), unix(q.To))
	}
	return cellIndexSQL, append(args, string(q.Granularity), q.TaggerVersion, unix(q.From), unix(q.To))
}
