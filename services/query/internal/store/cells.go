package store

import "strings"

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
// all-articles count of the matching languages when Lang is set (the "*"
// language cells), else of every article (the "*" bucket row). A language
// matches as in the drivers and ranked lists (RFC 4647 basic filtering,
// case-insensitive): zh selects zh, zh-Hans and zh-TW, not zho. The text
// is constant; cellArgs binds the values in its order.
const cellWhere = `((kind = 'cell' AND pair = ?
        AND (? = 0 OR splitByChar('|', key)[1] = ?)
        AND (? = '' OR splitByChar('|', key)[2] = ?)
        AND (? = '' OR ` + cellLangMatch + `))
    OR (pair = '*' AND (? = '' AND kind = 'bucket' AND key = ''
        OR ? != '' AND kind = 'cell' AND ` + cellLangMatch + `)))`

// cellLangMatch: the cell's language equals the filter or starts with it
// and a hyphen. args: lang, len(lang)+1, lang+"-".
const cellLangMatch = `(lower(splitByChar('|', key)[3]) = ? OR substring(lower(splitByChar('|', key)[3]), 1, ?) = ?)`

func cellArgs(pair string, f CellFilter) []any {
	actor := f.Actor
	if actor == NoActor {
		actor = ""
	}
	var hasActor uint8
	if f.HasActor {
		hasActor = 1
	}
	lang := strings.ToLower(f.Lang)
	match := []any{lang, uint64(len(lang) + 1), lang + "-"}
	args := []any{pair, hasActor, actor, f.Source, f.Source, lang}
	args = append(args, match...)
	args = append(args, lang, lang)
	return append(args, match...)
}

// cellIndexSQL and cellIndexMonthSQL give one row per bucket, like
// indexSQL: the denominator from the "*" rows, the parts from the cells.
var cellIndexSQL = newViewStatement(`
SELECT bucket,` + bucketParts + `
FROM index_journal
WHERE ` + cellWhere + ` AND granularity = ? AND {view}
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
GROUP BY bucket
ORDER BY bucket`)

var cellIndexMonthSQL = newViewStatement(`
SELECT toDateTime(toStartOfMonth(bucket, 'UTC'), 'UTC') AS month,` + bucketParts + `
FROM index_journal
WHERE ` + cellWhere + ` AND granularity = 'day' AND {view}
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
GROUP BY month
ORDER BY month`)

var cellBaseSQL = newViewStatement(`
SELECT sumIf(escalating, pair != '*'), sumIf(articles, pair = '*')
FROM index_journal
WHERE ` + cellWhere + ` AND granularity = ? AND {view}
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)`)

// cellIndexStatement is Index's statement and arguments for a filtered query.
func cellIndexStatement(q IndexQuery) (string, []any) {
	args := cellArgs(q.Pair, q.Cell)
	if q.ByMonth {
		return cellIndexMonthSQL.of(q.TaggerVersion), append(args, q.TaggerVersion, unix(q.From), unix(q.To))
	}
	return cellIndexSQL.of(q.TaggerVersion), append(args, string(q.Granularity), q.TaggerVersion, unix(q.From), unix(q.To))
}
