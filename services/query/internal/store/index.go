package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/tension"
)

// IndexQuery selects the index buckets of one pair.
type IndexQuery struct {
	Pair          string              // e.g. "CN-US"; tension.AllPair rows are read alongside
	Granularity   tension.Granularity // which rollup rows to read
	ByMonth       bool                // group the day rows by calendar month (UTC); needs Granularity Day
	TaggerVersion string              // "" is the current view
	From, To      time.Time           // bucket start in [From, To)
	Cell          CellFilter          // part of the pair by actor, source type, language (cells.go)
}

// Bucket is one bucket's summed parts: Articles from the AllPair rows (every
// article in the bucket), the other parts from the pair's own rows.
type Bucket struct {
	Start time.Time // UTC
	Parts tension.Parts
}

// indexSQL reads the pair's rows and the "*" rows in one pass and folds
// them into one row per bucket: articles from the "*" rows, the other parts
// from the pair's own (conditional sums), in bucket order. The journal holds
// delta rows that SummingMergeTree adds up whenever it merges, so the parts
// are summed here whatever the merge state. One row per bucket halves what
// ClickHouse sends and leaves no map or sort to do here: a year at hourly
// grain is 8,784 buckets (docs/query-api.md "Measured speed").
var indexSQL = newViewStatement(`
SELECT bucket,` + bucketParts + `
FROM index_journal
WHERE kind = 'bucket' AND key = '' AND granularity = ? AND pair IN (?, '*') AND {view}
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
GROUP BY bucket
ORDER BY bucket`)

// bucketParts folds a bucket's rows into its parts: articles from the "*"
// row(s), the rest from the pair's (or its cells'), in IndexQuery's scan
// order. Shared by the plain and the split (cells.go) statements.
const bucketParts = `
       sumIf(articles, pair = '*'), sumIf(dyad_articles, pair != '*'), sumIf(escalating, pair != '*'),
       sumIf(deescalating, pair != '*'), sumIf(mixed, pair != '*'), sumIf(sum_score, pair != '*'),
       sumIf(sum_weight, pair != '*')`

// indexMonthSQL groups the day rows by UTC calendar month. The time zone is
// explicit: toStartOfMonth would otherwise use the server's.
var indexMonthSQL = newViewStatement(`
SELECT toDateTime(toStartOfMonth(bucket, 'UTC'), 'UTC') AS month,` + bucketParts + `
FROM index_journal
WHERE kind = 'bucket' AND key = '' AND granularity = 'day' AND pair IN (?, '*') AND {view}
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
GROUP BY month
ORDER BY month`)

// Index returns the buckets of q that hold any article, in time order. A
// bucket with articles but no row for the pair has zero dyad parts.
func (s *Store) Index(ctx context.Context, q IndexQuery) ([]Bucket, error) {
	sql, args := indexSQL.of(q.TaggerVersion), []any{string(q.Granularity), q.Pair, q.TaggerVersion, unix(q.From), unix(q.To)}
	if q.ByMonth {
		if q.Granularity != tension.Day {
			return nil, fmt.Errorf("store: index: months are built from day rows, not %s", q.Granularity)
		}
		sql, args = indexMonthSQL.of(q.TaggerVersion), []any{q.Pair, q.TaggerVersion, unix(q.From), unix(q.To)}
	}
	if q.Cell.Active() {
		sql, args = cellIndexStatement(q)
	}
	out := []Bucket{}
	err := s.query(ctx, "index", sql, func(rows driver.Rows) error {
		var b Bucket
		p := &b.Parts
		if err := rows.Scan(&b.Start, &p.Articles, &p.DyadArticles, &p.Escalating,
			&p.Deescalating, &p.Mixed, &p.SumScore, &p.SumWeight); err != nil {
			return err
		}
		if p.IsZero() {
			return nil // retracted to nothing
		}
		b.Start = b.Start.UTC()
		out = append(out, b)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BaseQuery selects the base period of the tension index.
type BaseQuery struct {
	Pair          string
	Granularity   tension.Granularity // rows read: the coarsest that is exact for From and To
	TaggerVersion string
	From, To      time.Time
	Cell          CellFilter
}

var baseSQL = newViewStatement(`
SELECT sumIf(escalating, pair != '*'), sumIf(articles, pair = '*')
FROM index_journal
WHERE kind = 'bucket' AND key = '' AND granularity = ? AND pair IN (?, '*') AND {view}
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)`)

// Base returns the summed escalating dyad articles of the pair and all
// articles over [q.From, q.To): the base share's numerator and denominator.
func (s *Store) Base(ctx context.Context, q BaseQuery) (escalating, articles int64, err error) {
	sql, args := baseSQL.of(q.TaggerVersion), []any{string(q.Granularity), q.Pair, q.TaggerVersion, unix(q.From), unix(q.To)}
	if q.Cell.Active() {
		sql, args = cellBaseSQL.of(q.TaggerVersion), append(cellArgs(q.Pair, q.Cell), string(q.Granularity), q.TaggerVersion, unix(q.From), unix(q.To))
	}
	err = s.query(ctx, "base", sql, func(rows driver.Rows) error {
		return rows.Scan(&escalating, &articles)
	}, args...)
	return escalating, articles, err
}
