package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/tension"
)

// TopQuery selects a ranked list over the raw tables in [From, To).
type TopQuery struct {
	Pair          string // "" (entities only): every article; else the articles on the pair
	TaggerVersion string // "" is the current view: each article's newest tagger version
	Lang          string // "" or a lower-case language tag: only articles read as it (langFilter)
	From, To      time.Time
	Limit, Offset int
}

// articlesInSQL counts every article of the day buckets that overlap
// [from, to) in the current view: the journal's "*" rows, a few hundred
// rows for years. It over-counts a range that starts or ends inside a day,
// which a guard may. args: "" (the current view), from, to
var articlesInSQL = newViewStatement(`
SELECT sum(articles) FROM index_journal
WHERE kind = 'bucket' AND key = '' AND granularity = 'day' AND pair = '*' AND {view}
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)`).of("")

// ArticlesIn is about how many articles [from, to) holds, from the index
// journal, without reading the raw tables: what a ranked list over that
// range would have to read (the API refuses lists over too many).
func (s *Store) ArticlesIn(ctx context.Context, from, to time.Time) (int64, error) {
	var n int64
	err := s.query(ctx, "articles-in", articlesInSQL, func(rows driver.Rows) error {
		return rows.Scan(&n)
	}, "", unix(from.Truncate(24*time.Hour)), unix(to))
	return n, err
}

// EntityCount is one entity with how many articles mention it.
type EntityCount struct {
	Canonical string
	Type      string
	Country   string
	Articles  uint64 // distinct articles that mention it
	Mentions  uint64 // mentions in those articles
}

// CueCount is one cue phrase with its actor and target, summed over the
// articles that carry it.
type CueCount struct {
	Text        string
	Category    string
	Polarity    int8
	Actor       string
	Target      string
	Count       uint64  // occurrences
	Articles    uint64  // distinct articles
	TotalWeight float64 // sum of effective weights
	MaxWeight   float64
}

// The SQL of the ranked lists is assembled once, at start, from constant
// fragments; every value is still bound with `?`.
//
// A list is summed from parts (UNION ALL), each grouped by the list's
// entry: the whole days of the range from the journal's rollups (kinds
// 'entity' and 'cue', written by the sink in the same block as the index,
// one row per day, pair, view and entry), and the partial days at its
// edges from the raw tables. An article is in one day, so the articles of
// an entry add up over the parts. A lang= filter, which no rollup holds,
// reads the raw tables over the whole range (the API bounds how many
// articles that may read).
//
// Raw reads keep one tagger version per article (the current one, or the
// named one); LIMIT 1 BY drops unmerged duplicates. The filters are
// PREWHERE, so the text columns are read only for the rows they keep
// (18.16 moves no IN with a subquery there itself). The current version is
// the argMax of the article's article_versions rows in the range (sorted by
// published_at, so only the range is read): the sink writes a pointer to
// the current version at the time of every other version of the article
// (migration 0010), so an article whose current version was published
// outside the range is not in it under an older one, as in the index and
// the rollups.
//
// "On the pair" is decided per article and tagger version: an article
// retagged so that its newest version no longer scores the pair is not on
// the pair in the current view, although an older version's dyad row is
// still stored (and, with a named version, only that version's dyads
// count).
const (
	// args: from, to [, pair, from, to]
	currentVersionFilter = `(article_id, tagger_version) IN (
        SELECT article_id, argMax(tagger_version, version)
        FROM article_versions
        WHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)%s
        GROUP BY article_id)`
	// articlesOnPair narrows the current-version subquery to the articles
	// with a dyad on the pair under any version: it only saves work (their
	// newest version is unchanged), it does not decide "on the pair".
	// args: pair, from, to
	articlesOnPair = `
          AND article_id IN (
            SELECT article_id FROM dyads
            WHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?))`
	// versionOnPair keeps the rows of article versions that scored the
	// pair. args: pair, from, to
	versionOnPair = `
      AND (article_id, tagger_version) IN (
        SELECT article_id, tagger_version FROM dyads
        WHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?))`
	// args: version
	namedVersionFilter = `tagger_version = ?`

	// entitiesRawSQL is one raw part of an entities list. The country of
	// an entry is the smallest its mentions carry (the rollups file an
	// article's mentions under it).
	entitiesRawSQL = `
SELECT canonical, type, min(country) AS ctry, uniqExact(article_id) AS na, count() AS nm
FROM (
    SELECT article_id, idx, canonical, type, country
    FROM entities
    PREWHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)/*lang*/
      AND %s%s
    ORDER BY version DESC
    LIMIT 1 BY article_id, tagger_version, idx
)
GROUP BY canonical, type`

	// entitiesRollupSQL is the whole-days part: the key ranges of the
	// pair's and view's days (rollupKeys), summed per day and entry (the
	// key after its pair and view, rollupDayEntry), then per entry.
	// args: rollupKeys' , pair, from, to
	entitiesRollupSQL = `
SELECT item[1] AS canonical, CAST(item[2] AS Enum8('PERSON' = 1, 'GOV' = 2, 'ORG' = 3, 'MEDIA' = 4)) AS type, item[3] AS ctry,
       toUInt64(sum(a)) AS na, toUInt64(sum(m)) AS nm
FROM (
    SELECT splitByChar('\x1F', substring(de, 10)) AS item, a, m
    FROM (
        SELECT ` + rollupDayEntry + ` AS de, sum(articles) AS a, sum(entries) AS m
        FROM index_journal
        WHERE kind = 'entity' AND ` + rollupKeysPlaceholder + ` AND pair = ? AND granularity = 'day'
          AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
        GROUP BY de
        HAVING m != 0
    )
)
GROUP BY canonical, type, ctry`

	entitiesTopSQL = `
SELECT canonical, type, min(ctry), sum(na) AS n_articles, sum(nm) AS n_mentions
FROM (%s)
GROUP BY canonical, type
ORDER BY n_articles DESC, n_mentions DESC, canonical, type
LIMIT ?, ?`

	// The cues rows carry their pair, so pair = ? decides it; the
	// current view is narrowed to the pair's articles only to save work.
	cuesRawSQL = `
SELECT text, category, polarity, actor, target,
       count() AS cnt, uniqExact(article_id) AS na, sum(weight) AS tw, max(weight) AS mw
FROM (
    SELECT article_id, idx, text, category, polarity, actor, target, weight
    FROM cues
    PREWHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?)/*lang*/
      AND %s
    ORDER BY version DESC
    LIMIT 1 BY article_id, tagger_version, idx
)
GROUP BY text, category, polarity, actor, target`

	// cuesRollupSQL: one row per day, entry and weight (src_offset holds
	// the weight's bits, which order like the weights: they are never
	// negative); the strongest weight is the largest whose occurrences do
	// not cancel. args as entitiesRollupSQL.
	cuesRollupSQL = `
SELECT item[1] AS text, item[2] AS category, toInt8(item[3]) AS polarity, item[4] AS actor, item[5] AS target,
       toUInt64(sum(n)) AS cnt, toUInt64(sum(a)) AS na, sum(w) AS tw, reinterpretAsFloat64(reinterpretAsString(max(wb))) AS mw
FROM (
    SELECT splitByChar('\x1F', substring(de, 10)) AS item, wb, n, a, w
    FROM (
        SELECT ` + rollupDayEntry + ` AS de, src_offset AS wb, sum(entries) AS n, sum(articles) AS a, sum(sum_weight) AS w
        FROM index_journal
        WHERE kind = 'cue' AND ` + rollupKeysPlaceholder + ` AND pair = ? AND granularity = 'day'
          AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
        GROUP BY de, src_offset
        HAVING n != 0
    )
)
GROUP BY text, category, polarity, actor, target`

	// rollupDayEntry is a rollup row's key after its pair and view: the
	// day (8 characters), the separator and the entry. A row in two views
	// (in_current, migration 0014) is keyed under the current view (""),
	// others under their own tagger_version, so one day's entry sums alike
	// whichever form its rows have.
	rollupDayEntry = `substring(key, length(pair) + if(in_current = 1, 0, length(tagger_version)) + 3)`

	// rollupKeysPlaceholder is where rollupKeys puts a view's key ranges.
	rollupKeysPlaceholder = `{keys}`

	// Category and polarity are part of the group, so they are part of
	// the order too: ties must not come back in a different order on the
	// next page. The total is ranked rounded to 1e-6: sums of floats
	// differ in their last bits with the order they were added in (parts,
	// merges, threads), which must not reorder equal totals.
	cuesTopSQL = `
SELECT text, category, polarity, actor, target,
       sum(cnt) AS n, sum(na) AS n_articles, sum(tw) AS total, max(mw) AS strongest
FROM (%s)
GROUP BY text, category, polarity, actor, target
ORDER BY round(total, 6) DESC, n DESC, text, actor, target, category, polarity
LIMIT ?, ?`
)

var (
	entitiesRawCurrentSQL       = sprintf(entitiesRawSQL, sprintf(currentVersionFilter, ""), "")
	entitiesRawCurrentPairSQL   = sprintf(entitiesRawSQL, sprintf(currentVersionFilter, articlesOnPair), versionOnPair)
	entitiesRawVersionSQL       = sprintf(entitiesRawSQL, namedVersionFilter, "")
	entitiesRawVersionOnPairSQL = sprintf(entitiesRawSQL, namedVersionFilter, versionOnPair)
	cuesRawCurrentSQL           = sprintf(cuesRawSQL, sprintf(currentVersionFilter, articlesOnPair))
	cuesRawVersionSQL           = sprintf(cuesRawSQL, namedVersionFilter)
)

// span is a ranked list's range cut into the whole days the rollups hold,
// [days0, days1), and the partial days at its edges, read raw.
type span struct {
	days0, days1 time.Time
	edges        [][2]time.Time
}

// spanOf cuts [from, to); a range within one day (or shorter) is one edge.
func spanOf(from, to time.Time) span {
	d0 := from.Truncate(24 * time.Hour)
	if d0.Before(from) {
		d0 = d0.Add(24 * time.Hour)
	}
	d1 := to.Truncate(24 * time.Hour)
	if !d0.Before(d1) {
		return span{edges: [][2]time.Time{{from, to}}}
	}
	sp := span{days0: d0, days1: d1}
	if from.Before(d0) {
		sp.edges = append(sp.edges, [2]time.Time{from, d0})
	}
	if d1.Before(to) {
		sp.edges = append(sp.edges, [2]time.Time{d1, to})
	}
	return sp
}

// Raw returns the parts of a list q reads from the raw tables: the edges
// of its range, or the whole range with a lang filter.
func (q TopQuery) Raw() [][2]time.Time {
	if q.Lang != "" {
		return [][2]time.Time{{q.From, q.To}}
	}
	return spanOf(q.From, q.To).edges
}

// parts assembles a list's parts: rollup (its SQL; "" when the range has
// no whole day or the query filters by language) and raw, called for each
// raw range, returning its SQL and arguments.
func (q TopQuery) parts(pair, rollup string, raw func(from, to time.Time) (string, []any)) (string, []any) {
	var sqls []string
	var args []any
	if q.Lang == "" {
		if sp := spanOf(q.From, q.To); !sp.days0.IsZero() {
			keys, keyArgs := rollupKeys(pair, q.TaggerVersion, sp.days0, sp.days1)
			sqls = append(sqls, strings.Replace(rollup, rollupKeysPlaceholder, keys, 1))
			args = append(append(args, keyArgs...), pair, unix(sp.days0), unix(sp.days1))
		}
	}
	for _, r := range q.Raw() {
		sql, a := raw(r[0], r[1])
		sqls = append(sqls, sql)
		args = append(args, a...)
	}
	return strings.Join(sqls, "\nUNION ALL\n"), args
}

// rollupKeys is the condition on the rollup rows of pair and view over the
// days [from, to), and its arguments. A view's rows are a run of the
// journal's key (pair, view and day lead the key). A row in two views
// (in_current, migration 0014) is keyed under the current view: the
// current view reads its run (the rows of version "" and those in it too),
// a named view its own run and, in the current view's, the rows its
// version wrote in both.
func rollupKeys(pair, view string, from, to time.Time) (string, []any) {
	lo, hi := tension.RollupPrefix(pair, view, from), tension.RollupPrefix(pair, view, to)
	if view == "" {
		return `key >= ? AND key < ? AND ` + currentViewRows, []any{lo, hi, view}
	}
	clo, chi := tension.RollupPrefix(pair, "", from), tension.RollupPrefix(pair, "", to)
	return `(key >= ? AND key < ? AND ` + namedViewRows + ` OR key >= ? AND key < ? AND ` + namedViewRows + ` AND in_current = 1)`,
		[]any{lo, hi, view, clo, chi, view}
}

// versionArgs are the arguments of the version filter: from, to and, with
// narrow, the pair's (articlesOnPair) for the current view; the version
// for a named one.
func versionArgs(q TopQuery, from, to time.Time, narrow bool) []any {
	if q.TaggerVersion != "" {
		return []any{q.TaggerVersion}
	}
	f, t := unix(from), unix(to)
	if narrow {
		return []any{f, t, q.Pair, f, t}
	}
	return []any{f, t}
}

// TopEntities returns the entities mentioned by the most articles in the
// range (on q.Pair when set), ranked by articles then mentions, from
// q.Offset, at most q.Limit.
func (s *Store) TopEntities(ctx context.Context, q TopQuery) ([]EntityCount, error) {
	withPair := q.Pair != ""
	raw := entitiesRawCurrentSQL
	switch {
	case q.TaggerVersion == "" && withPair:
		raw = entitiesRawCurrentPairSQL
	case q.TaggerVersion != "" && withPair:
		raw = entitiesRawVersionOnPairSQL
	case q.TaggerVersion != "":
		raw = entitiesRawVersionSQL
	}
	pair := q.Pair
	if pair == "" {
		pair = tension.AllPair
	}
	union, args := q.parts(pair, entitiesRollupSQL, func(from, to time.Time) (string, []any) {
		args := append([]any{unix(from), unix(to)}, versionArgs(q, from, to, withPair)...)
		if withPair { // versionOnPair
			args = append(args, q.Pair, unix(from), unix(to))
		}
		return withLang(raw, args, 2, q.Lang, from, to)
	})
	out := []EntityCount{}
	err := s.query(ctx, "top entities", sprintf(entitiesTopSQL, union), func(rows driver.Rows) error {
		var e EntityCount
		if err := rows.Scan(&e.Canonical, &e.Type, &e.Country, &e.Articles, &e.Mentions); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	}, append(args, q.Offset, q.Limit)...)
	return out, err
}

// TopCues returns the pair's cue phrases (with actor and target) in the
// range ranked by their summed weight, from q.Offset, at most q.Limit.
func (s *Store) TopCues(ctx context.Context, q TopQuery) ([]CueCount, error) {
	raw := cuesRawCurrentSQL
	if q.TaggerVersion != "" {
		raw = cuesRawVersionSQL
	}
	// The current view narrows the articles to the pair's first; a named
	// version needs no subquery.
	union, args := q.parts(q.Pair, cuesRollupSQL, func(from, to time.Time) (string, []any) {
		args := append([]any{q.Pair, unix(from), unix(to)}, versionArgs(q, from, to, true)...)
		return withLang(raw, args, 3, q.Lang, from, to)
	})
	out := []CueCount{}
	err := s.query(ctx, "top cues", sprintf(cuesTopSQL, union), func(rows driver.Rows) error {
		var c CueCount
		if err := rows.Scan(&c.Text, &c.Category, &c.Polarity, &c.Actor, &c.Target, &c.Count, &c.Articles, &c.TotalWeight, &c.MaxWeight); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, append(args, q.Offset, q.Limit)...)
	return out, err
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
