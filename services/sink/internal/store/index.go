package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
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
// changes a bucket writes one row for it (entries = 1; two when it takes an
// old version out of the current view and counts a new one in both views),
// and so does a rebuild correction, so the revision is stored atomically
// with the data and grows with every change. A row in two views
// (in_current) counts in each. Cell is the split's cell key
// (tension.Cell.Key) for a cell's state (States with cells), "" for a pair's.
type BucketState struct {
	Key     BucketKey
	Cell    string
	Entries int64
	Parts   tension.Parts
}

// States reads, in one query, every pair's state in the given buckets and,
// with cells, the state of every cell of the split (journal kind 'cell':
// each pair's cells and the "*" language cells) in them. The buckets go to
// the server as an external table (bucketsTable), not as IN lists in the
// SQL text: a backfill's batch names some 16,000 buckets, and one query with
// them as data took half the server's CPU of the two queries (pairs, then
// cells) with IN lists it replaces.
func (s *Store) States(ctx context.Context, refs []BucketRef, cells bool) (pairs, cellStates []BucketState, err error) {
	q, err := s.bucketsQuery(ctx, refs, cells, `toString(kind), toString(granularity), pair, key, tagger_version, in_current, bucket,
			sum(entries), sum(articles), sum(dyad_articles), sum(escalating), sum(deescalating), sum(mixed),
			sum(sum_score), sum(sum_weight)`, `kind, granularity, pair, key, tagger_version, in_current, bucket`)
	if err != nil || q.rows == nil {
		return nil, nil, err
	}
	defer q.rows.Close()
	// A row in two views (in_current) adds to the state of each view asked
	// for, here rather than by arrayJoin on the server: a batch usually asks
	// for the current view only, and expanding there doubled the rows the
	// server grouped and sent (measured: 47,000 instead of 23,000 a batch
	// on two years of articles).
	type stateKey struct {
		cell bool
		key  string // the cell's key
		BucketKey
	}
	index := make(map[stateKey]int, len(q.asked))
	pairs = make([]BucketState, 0, len(q.asked))
	for q.rows.Next() {
		var (
			kind, g, pair, cell, version string
			inCurrent                    uint8
			bucket                       time.Time
			entries                      int64
			p                            tension.Parts
		)
		if err := q.rows.Scan(&kind, &g, &pair, &cell, &version, &inCurrent, &bucket, &entries, &p.Articles, &p.DyadArticles,
			&p.Escalating, &p.Deescalating, &p.Mixed, &p.SumScore, &p.SumWeight); err != nil {
			return nil, nil, fmt.Errorf("store: scan a bucket state: %w", err)
		}
		isCell := kind == "cell"
		views, n := journal.ViewsOf(version, inCurrent == 1)
		for _, view := range views[:n] {
			k := stateKey{isCell, cell, BucketKey{tension.Granularity(g), pair, view, bucket.Unix()}}
			if !q.asked[k.Ref()] {
				continue
			}
			states := &pairs
			if isCell {
				states = &cellStates
			}
			i, ok := index[k]
			if !ok {
				i = len(*states)
				index[k] = i
				*states = append(*states, BucketState{Key: k.BucketKey, Cell: cell})
			}
			st := &(*states)[i]
			st.Entries += entries
			st.Parts.Add(p)
		}
	}
	if err := q.rows.Err(); err != nil {
		return nil, nil, err
	}
	return pairs, cellStates, nil
}

// Revisions reads the revision of each of the given buckets: the Entries
// of all its states States would read (pairs' and, with cells, cells'),
// summed. Every change of a bucket adds a row with entries = 1 to one of
// them, so a bucket's revision moves whenever one of its states does. It
// is what the index publisher's re-check compares, and costs the server
// a fraction of States: one column summed into one row per bucket.
func (s *Store) Revisions(ctx context.Context, refs []BucketRef, cells bool) (map[BucketRef]int64, error) {
	q, err := s.bucketsQuery(ctx, refs, cells, `toString(granularity), tagger_version, in_current, bucket, sum(entries)`,
		`granularity, tagger_version, in_current, bucket`)
	if err != nil || q.rows == nil {
		return nil, err
	}
	defer q.rows.Close()
	out := make(map[BucketRef]int64, len(q.asked))
	for q.rows.Next() {
		var (
			g, version string
			inCurrent  uint8
			bucket     time.Time
			entries    int64
		)
		if err := q.rows.Scan(&g, &version, &inCurrent, &bucket, &entries); err != nil {
			return nil, fmt.Errorf("store: scan a bucket revision: %w", err)
		}
		views, n := journal.ViewsOf(version, inCurrent == 1)
		for _, view := range views[:n] {
			if r := (BucketRef{tension.Granularity(g), view, bucket.Unix()}); q.asked[r] {
				out[r] += entries
			}
		}
	}
	return out, q.rows.Err()
}

// SumRevisions is what Revisions reads, from states States read: each
// bucket's states' Entries summed.
func SumRevisions(stateSets ...[]BucketState) map[BucketRef]int64 {
	out := map[BucketRef]int64{}
	for _, states := range stateSets {
		for _, s := range states {
			out[s.Key.Ref()] += s.Entries
		}
	}
	return out
}

// bucketsQuery is a query of States or Revisions: what it selects and
// groups by, over the pair (and with cells, cell) rows of the buckets of
// refs, and the refs asked for (the filter is a superset when several
// views are asked for: every view of every bucket). No refs, no query
// (rows nil).
type bucketsQuery struct {
	rows  driver.Rows
	asked map[BucketRef]bool
}

func (s *Store) bucketsQuery(ctx context.Context, refs []BucketRef, cells bool, selects, groupBy string) (bucketsQuery, error) {
	q := bucketsQuery{asked: make(map[BucketRef]bool, len(refs))}
	if len(refs) == 0 {
		return q, nil
	}
	versions := map[string]bool{}
	buckets, err := ext.NewTable(bucketsTable, ext.Column("granularity", "String"), ext.Column("bucket", "UInt32"))
	if err != nil {
		return q, fmt.Errorf("store: external table of buckets: %w", err)
	}
	for _, r := range refs {
		if q.asked[r] {
			continue
		}
		q.asked[r] = true
		versions[r.TaggerVersion] = true
		if err := buckets.Append(string(r.Granularity), uint32(r.Bucket)); err != nil {
			return q, fmt.Errorf("store: external table of buckets: %w", err)
		}
	}
	vs := make([]any, 0, len(versions))
	for v := range versions {
		vs = append(vs, v)
	}
	// A row in the current view too (in_current) is read for the current
	// view whatever its tagger_version; the caller adds it to the views
	// asked for (journal.ViewsOf).
	inViews := `tagger_version IN ?`
	if versions[journal.CurrentView] {
		inViews = `(tagger_version IN ? OR in_current = 1)`
	}
	kinds := []any{"bucket"}
	if cells {
		kinds = append(kinds, "cell")
	}
	// Each granularity takes its own set of buckets.
	q.rows, err = s.conn.Query(clickhouse.Context(ctx, clickhouse.WithExternalTable(buckets)),
		`SELECT `+selects+`
		FROM index_journal
		WHERE kind IN ? AND (kind = 'cell' OR key = '') AND `+inViews+`
		  AND ((granularity = 'minute' AND toUInt32(bucket) IN (SELECT bucket FROM `+bucketsTable+` WHERE granularity = 'minute'))
		    OR (granularity = 'hour' AND toUInt32(bucket) IN (SELECT bucket FROM `+bucketsTable+` WHERE granularity = 'hour'))
		    OR (granularity = 'day' AND toUInt32(bucket) IN (SELECT bucket FROM `+bucketsTable+` WHERE granularity = 'day')))
		GROUP BY `+groupBy,
		clickhouse.GroupSet{Value: kinds}, clickhouse.GroupSet{Value: vs})
	if err != nil {
		return q, fmt.Errorf("store: read %d buckets: %w", len(q.asked), err)
	}
	return q, nil
}

// bucketsTable is the external table States sends with its query.
const bucketsTable = "_sink_buckets"

// BaseShares returns, per view and pair, the pair's tension share over
// [from, to): escalating dyad articles over all articles, both summed from
// the day rows. A view without articles in the base is absent.
func (s *Store) BaseShares(ctx context.Context, from, to time.Time) (map[string]map[string]float64, error) {
	rows, err := s.conn.Query(ctx, `SELECT `+rowViews+` AS in_view, pair, sum(escalating), sum(articles)
		FROM index_journal
		WHERE kind = 'bucket' AND key = '' AND granularity = 'day'
		  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
		GROUP BY in_view, pair`, uint32(from.Unix()), uint32(to.Unix()))
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
