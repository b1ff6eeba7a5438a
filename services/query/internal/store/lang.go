package store

import (
	"strings"
	"time"
)

// langFilter narrows a query over a raw table to the articles read as a
// language (issue 14): the lang of each article's newest enrichment equals
// the filter or starts with it and a "-" (RFC 4647 basic filtering: zh
// keeps zh, zh-Hans and zh-TW), case-insensitively. The filter comes from
// the API in lower case and holds letters, digits and "-" only, so it has
// no LIKE wildcards. args: from, to, lang, lang + "-%".
const langFilter = `
      AND article_id IN (
        SELECT article_id FROM articles
        WHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)
        GROUP BY article_id
        HAVING lower(argMax(lang, version)) = ? OR lower(argMax(lang, version)) LIKE ?)`

// langMarker marks where a query takes langFilter: right after the WHERE
// clause whose arguments come first, so that the filter's arguments go in
// at a fixed position.
const langMarker = "/*lang*/"

// withLang puts langFilter (and its arguments, at position at) into sql
// when lang is set, and removes the marker otherwise.
func withLang(sql string, args []any, at int, lang string, from, to time.Time) (string, []any) {
	if lang == "" {
		return strings.Replace(sql, langMarker, "", 1), args
	}
	out := make([]any, 0, len(args)+4)
	out = append(out, args[:at]...)
	out = append(out, unix(from), unix(to), lang, lang+"-%")
	out = append(out, args[at:]...)
	return strings.Replace(sql, langMarker, langFilter, 1), out
}
