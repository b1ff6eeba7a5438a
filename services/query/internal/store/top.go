package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
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
// which a guard may.
const articlesInSQL = `
SELECT sum(articles) FROM index_journal
WHERE kind = 'bucket' AND key = '' AND granularity = 'day' AND pair = '*' AND tagger_version = ''
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)`

// ArticlesIn is about how many articles [from, to) holds, from the index
// journal, without reading the raw tables: what a ranked list over that
// range would have to read (the API refuses lists over too many).
func (s *Store) ArticlesIn(ctx context.Context, from, to time.Time) (int64, error) {
	var n int64
	err := s.query(ctx, "articles-in", articlesInSQL, func(rows driver.Rows) error {
		return rows.Scan(&n)
	}, unix(from.Truncate(24*time.Hour)), unix(to))
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
// fragments; every value is still bound with `?`. The version filter keeps
// one tagger version per article (the newest enrichment for the current
// view, or the named one; read from article_versions, sorted by
// published_at, see driversCurrentSQL); LIMIT 1 BY drops unmerged
// duplicates. The filters are PREWHERE, so the text columns are read only
// for the rows they keep (18.16 moves no IN with a subquery there itself).
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

	entitiesTopSQL = `
SELECT canonical, type, any(country), uniqExact(article_id) AS n_articles, count() AS n_mentions
FROM (
    SELECT article_id, idx, canonical, type, country
    FROM entities
    PREWHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)/*lang*/
      AND %s%s
    ORDER BY version DESC
    LIMIT 1 BY article_id, tagger_version, idx
)
GROUP BY canonical, type
ORDER BY n_articles DESC, n_mentions DESC, canonical, type
LIMIT ?, ?`

	// The cues rows carry their pair, so pair = ? decides it; the
	// current view is narrowed to the pair's articles only to save work.
	// Category and polarity are part of the group, so they are part of
	// the order too: ties must not come back in a different order on the
	// next page.
	cuesTopSQL = `
SELECT text, category, polarity, actor, target,
       count() AS n, uniqExact(article_id) AS n_articles, sum(weight) AS total, max(weight) AS strongest
FROM (
    SELECT article_id, idx, text, category, polarity, actor, target, weight
    FROM cues
    PREWHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?)/*lang*/
      AND %s
    ORDER BY version DESC
    LIMIT 1 BY article_id, tagger_version, idx
)
GROUP BY text, category, polarity, actor, target
ORDER BY total DESC, n DESC, text, actor, target, category, polarity
LIMIT ?, ?`
)

var (
	entitiesTopCurrentSQL       = sprintf(entitiesTopSQL, sprintf(currentVersionFilter, ""), "")
	entitiesTopCurrentPairSQL   = sprintf(entitiesTopSQL, sprintf(currentVersionFilter, articlesOnPair), versionOnPair)
	entitiesTopVersionSQL       = sprintf(entitiesTopSQL, namedVersionFilter, "")
	entitiesTopVersionOnPairSQL = sprintf(entitiesTopSQL, namedVersionFilter, versionOnPair)
	cuesTopCurrentSQL           = sprintf(cuesTopSQL, sprintf(currentVersionFilter, articlesOnPair))
	cuesTopVersionSQL           = sprintf(cuesTopSQL, namedVersionFilter)
)

// versionArgs are the arguments of the version filter: from, to and, with
// narrow, the pair's (articlesOnPair) for the current view; the version
// for a named one.
func versionArgs(q TopQuery, narrow bool) []any {
	if q.TaggerVersion != "" {
		return []any{q.TaggerVersion}
	}
	from, to := unix(q.From), unix(q.To)
	if narrow {
		return []any{from, to, q.Pair, from, to}
	}
	return []any{from, to}
}

// TopEntities returns the entities mentioned by the most articles in the
// range (on q.Pair when set), ranked by articles then mentions, from
// q.Offset, at most q.Limit.
func (s *Store) TopEntities(ctx context.Context, q TopQuery) ([]EntityCount, error) {
	withPair := q.Pair != ""
	sql := entitiesTopCurrentSQL
	switch {
	case q.TaggerVersion == "" && withPair:
		sql = entitiesTopCurrentPairSQL
	case q.TaggerVersion != "" && withPair:
		sql = entitiesTopVersionOnPairSQL
	case q.TaggerVersion != "":
		sql = entitiesTopVersionSQL
	}
	args := append([]any{unix(q.From), unix(q.To)}, versionArgs(q, withPair)...)
	if withPair { // versionOnPair
		args = append(args, q.Pair, unix(q.From), unix(q.To))
	}
	args = append(args, q.Offset, q.Limit)
	sql, args = withLang(sql, args, 2, q.Lang, q.From, q.To)
	out := []EntityCount{}
	err := s.query(ctx, "top entities", sql, func(rows driver.Rows) error {
		var e EntityCount
		if err := rows.Scan(&e.Canonical, &e.Type, &e.Country, &e.Articles, &e.Mentions); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	}, args...)
	return out, err
}

// TopCues returns the pair's cue phrases (with actor and target) in the
// range ranked by their summed weight, from q.Offset, at most q.Limit.
func (s *Store) TopCues(ctx context.Context, q TopQuery) ([]CueCount, error) {
	sql := cuesTopCurrentSQL
	if q.TaggerVersion != "" {
		sql = cuesTopVersionSQL
	}
	// The current view narrows the articles to the pair's first; a named
	// version needs no subquery.
	args := append([]any{q.Pair, unix(q.From), unix(q.To)}, versionArgs(q, true)...)
	args = append(args, q.Offset, q.Limit)
	sql, args = withLang(sql, args, 3, q.Lang, q.From, q.To)
	out := []CueCount{}
	err := s.query(ctx, "top cues", sql, func(rows driver.Rows) error {
		var c CueCount
		if err := rows.Scan(&c.Text, &c.Category, &c.Polarity, &c.Actor, &c.Target, &c.Count, &c.Articles, &c.TotalWeight, &c.MaxWeight); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, args...)
	return out, err
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
