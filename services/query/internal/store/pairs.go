package store

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// PairSummary is one pair present in the day rollups.
type PairSummary struct {
	Pair         string
	DyadArticles int64
	First, Last  time.Time // first and last day bucket with dyad articles
}

// pairsSQL sums each (pair, day) first, so a bucket whose deltas cancel out
// does not stretch first/last.
var pairsSQL = newViewStatement(`
SELECT pair, sum(n), min(day), max(day)
FROM (
    SELECT pair, bucket AS day, sum(dyad_articles) AS n
    FROM index_journal
    WHERE kind = 'bucket' AND key = '' AND granularity = 'day' AND {view} AND pair != '*'
    GROUP BY pair, day
    HAVING n != 0
)
GROUP BY pair
ORDER BY pair`)

// Pairs lists the pairs with dyad articles under taggerVersion ("" is the
// current view), in pair order.
func (s *Store) Pairs(ctx context.Context, taggerVersion string) ([]PairSummary, error) {
	var out []PairSummary
	err := s.query(ctx, "pairs", pairsSQL.of(taggerVersion), func(rows driver.Rows) error {
		var p PairSummary
		if err := rows.Scan(&p.Pair, &p.DyadArticles, &p.First, &p.Last); err != nil {
			return err
		}
		p.First, p.Last = p.First.UTC(), p.Last.UTC()
		out = append(out, p)
		return nil
	}, taggerVersion)
	return out, err
}
