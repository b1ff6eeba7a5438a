package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/tension-dev/tension/pkg/tension"
)

// BucketRef names one bucket of every pair: a granularity, a view (tagger
// version, "" for the current view) and the bucket start in unix seconds.
type BucketRef struct {
	Granularity   tension.Granularity
	TaggerVersion string
	Bucket        int64
}

// BucketState is one pair's summed parts in one bucket and its revision:
// the number of journal rows ever written for it. Every journal block that
// changes a bucket writes exactly one row for it (entries = 1), and so does
// a rebuild correction, so the revision is stored atomically with the data
// and grows by one with every change. Cell is the split's cell key
// (tension.Cell.Key) for a cell's state (CellStates), "" for a pair's.
type BucketState struct {
	Key     BucketKey
	Cell    string
	Entries int64
	Parts   tension.Parts
}

// BucketStates reads, in one query, every pair's state in the given
// buckets.
func (s *Store) BucketStates(ctx context.Context, refs []BucketRef) ([]BucketState, error) {
	return s.states(ctx, refs, "bucket")
}

// CellStates reads, in one query, the state of every cell of the split
// (journal kind 'cell': each pair's cells and the "*" language cells) in
// the given buckets.
func (s *Store) CellStates(ctx context.Context, refs []BucketRef) ([]BucketState, error) {
	return s.states(ctx, refs, "cell")
}

// states sums the journal rows of kind ('bucket' with key ”, or 'cell')
// in refs' buckets, per pair and key.
func (s *Store) states(ctx context.Context, refs []BucketRef, kind string) ([]BucketState, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	versions := map[string]bool{}
	byG := map[tension.Granularity][]any{}
	seen := map[BucketRef]bool{}
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		versions[r.TaggerVersion] = true
		byG[r.Granularity] = append(byG[r.Granularity], uint32(r.Bucket))
	}
	vs := make([]any, 0, len(versions))
	for v := range versions {
		vs = append(vs, v)
	}
	set := func(g tension.Granularity) clickhouse.GroupSet {
		if len(byG[g]) == 0 {
			return clickhouse.GroupSet{Value: []any{uint32(0)}}
		}
		return clickhouse.GroupSet{Value: byG[g]}
	}
	// The filter is a superset when several views are asked for (every view
	// of every bucket); callers keep what they asked for.
	rows, err := s.conn.Query(ctx, `SELECT toString(granularity), pair, key, tagger_version, bucket, sum(entries),
			sum(articles), sum(dyad_articles), sum(escalating), sum(deescalating), sum(mixed),
			sum(sum_score), sum(sum_weight)
		FROM index_journal
		WHERE kind = ? AND (kind = 'cell' OR key = '') AND tagger_version IN ?
		  AND ((granularity = 'minute' AND toUInt32(bucket) IN ?)
		    OR (granularity = 'hour' AND toUInt32(bucket) IN ?)
		    OR (granularity = 'day' AND toUInt32(bucket) IN ?))
		GROUP BY granularity, pair, key, tagger_version, bucket`,
		kind, clickhouse.GroupSet{Value: vs}, set(tension.Minute), set(tension.Hour), set(tension.Day))
	if err != nil {
		return nil, fmt.Errorf("store: read %d %s states: %w", len(seen), kind, err)
	}
	defer rows.Close()
	var out []BucketState
	for rows.Next() {
		var (
			g, pair, version string
			bucket           time.Time
			st               BucketState
			p                = &st.Parts
		)
		if err := rows.Scan(&g, &pair, &st.Cell, &version, &bucket, &st.Entries, &p.Articles, &p.DyadArticles,
			&p.Escalating, &p.Deescalating, &p.Mixed, &p.SumScore, &p.SumWeight); err != nil {
			return nil, fmt.Errorf("store: scan %s state: %w", kind, err)
		}
		st.Key = BucketKey{tension.Granularity(g), pair, version, bucket.Unix()}
		if !seen[BucketRef{st.Key.Granularity, version, st.Key.Bucket}] {
			continue
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// BaseShares returns, per view and pair, the pair's tension share over
// [from, to): escalating dyad articles over all articles, both summed from
// the day rows. A view without articles in the base is absent.
func (s *Store) BaseShares(ctx context.Context, from, to time.Time) (map[string]map[string]float64, error) {
	rows, err := s.conn.Query(ctx, `SELECT tagger_version, pair, sum(escalating), sum(articles)
		FROM index_journal
		WHERE kind = 'bucket' AND key = '' AND granularity = 'day'
		  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
		GROUP BY tagger_version, pair`, uint32(from.Unix()), uint32(to.Unix()))
	if err != nil {
		return nil, fmt.Errorf("store: read base shares: %w", err)
	}
	defer rows.Close()
	esc := map[[2]string]int64{}
	all := map[string]int64{}
	for rows.Next() {
		var version, pair string
		var e, a int64
		if err := rows.Scan(&version, &pair, &e, &a); err != nil {
			return nil, fmt.Errorf("store: scan base share: %w", err)
		}
		if pair == tension.AllPair {
			all[version] = a
		} else {
			esc[[2]string{version, pair}] = e
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string]map[string]float64{}
	for k, e := range esc {
		if all[k[0]] <= 0 {
			continue
		}
		if out[k[0]] == nil {
			out[k[0]] = map[string]float64{}
		}
		out[k[0]][k[1]] = float64(e) / float64(all[k[0]])
	}
	return out, nil
}
