package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
)

// BucketKey names one bucket row of the index.
type BucketKey struct {
	Granularity   tension.Granularity
	Pair          string
	TaggerVersion string
	Bucket        int64 // unix seconds of the bucket start
}

// Ref is the bucket k is a state in (every pair's).
func (k BucketKey) Ref() BucketRef {
	return BucketRef{Granularity: k.Granularity, TaggerVersion: k.TaggerVersion, Bucket: k.Bucket}
}

// counted is the journal's counted set in [from, to) as a subquery: the
// (article, tagger version) pairs that live article rows count. Rebuild
// compares the journal with the raw rows of these only: raw rows are
// written before their journal block, so a batch in flight has raw rows
// that the journal does not count yet, and must not be "corrected" into
// the index (its own block adds it a moment later). Article rows in the
// current view too (in_current) count here by their own tagger_version.
const counted = `(SELECT key, tagger_version FROM index_journal
	WHERE kind = 'article' AND pair = '*' AND tagger_version != '' AND bucket >= ? AND bucket < ?
	GROUP BY key, tagger_version HAVING sum(articles) > 0)`

// RawMinutes recomputes the minute parts of [from, to) from the raw tables,
// for the articles the journal counts: per tagger version (each version's
// own view) and for the current view (each article once, under the tagger
// version that enriched it last). Duplicates in the raw tables collapse:
// articles are grouped by id and dyads read with FINAL.
func (s *Store) RawMinutes(ctx context.Context, from, to time.Time) (map[BucketKey]tension.Parts, error) {
	out := map[BucketKey]tension.Parts{}
	add := func(pair, version string, minute time.Time, p tension.Parts) {
		k := BucketKey{tension.Minute, pair, version, minute.Unix()}
		cur := out[k]
		cur.Add(p)
		out[k] = cur
	}
	// All articles, per version and current.
	rows, err := s.conn.Query(ctx, `
		SELECT tagger_version, toStartOfMinute(pub) AS m, count() AS n, 0 AS is_current
		FROM (SELECT article_id, tagger_version, any(published_at) AS pub FROM articles
		      WHERE published_at >= ? AND published_at < ? AND (toString(article_id), tagger_version) IN `+counted+`
		      GROUP BY article_id, tagger_version)
		GROUP BY tagger_version, m
		UNION ALL
		SELECT '' AS current_view, toStartOfMinute(pub) AS m, count() AS n, 1 AS is_current
		FROM (SELECT article_id, argMax(published_at, version) AS pub FROM articles
		      WHERE published_at >= ? AND published_at < ? AND (toString(article_id), tagger_version) IN `+counted+`
		      GROUP BY article_id)
		GROUP BY m`, from, to, from, to, from, to, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: recount articles: %w", err)
	}
	for rows.Next() {
		var (
			version string
			m       time.Time
			n       uint64
			cur     uint8
		)
		if err := rows.Scan(&version, &m, &n, &cur); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: scan recount: %w", err)
		}
		add(tension.AllPair, version, m.UTC(), tension.Parts{Articles: int64(n)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Dyads: each version's view, then the current view (the version each
	// article was last enriched with).
	const dyadParts = `count(), countIf(direction = 'escalation'), countIf(direction = 'de-escalation'),
		countIf(direction = 'mixed'), sum(tension), sum(weight)`
	q := `SELECT pair, tagger_version, toStartOfMinute(published_at) AS m, ` + dyadParts + `
		FROM dyads FINAL WHERE published_at >= ? AND published_at < ?
		  AND (toString(article_id), tagger_version) IN ` + counted + `
		GROUP BY pair, tagger_version, m
		UNION ALL
		SELECT pair, '' AS current_view, toStartOfMinute(published_at) AS m, ` + dyadParts + `
		FROM dyads FINAL WHERE published_at >= ? AND published_at < ?
		  AND (article_id, tagger_version) IN (
		      SELECT article_id, argMax(tagger_version, version) FROM articles
		      WHERE published_at >= ? AND published_at < ? AND (toString(article_id), tagger_version) IN ` + counted + `
		      GROUP BY article_id)
		GROUP BY pair, m`
	rows, err = s.conn.Query(ctx, q, from, to, from, to, from, to, from, to, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: recount dyads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			pair, version       string
			m                   time.Time
			n, esc, deesc, mixd uint64
			score, weight       float64
		)
		if err := rows.Scan(&pair, &version, &m, &n, &esc, &deesc, &mixd, &score, &weight); err != nil {
			return nil, fmt.Errorf("store: scan dyad recount: %w", err)
		}
		add(pair, version, m.UTC(), tension.Parts{DyadArticles: int64(n), Escalating: int64(esc),
			Deescalating: int64(deesc), Mixed: int64(mixd), SumScore: score, SumWeight: weight})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.rawCellMinutes(ctx, from, to, add); err != nil {
		return nil, err
	}
	return out, nil
}

// JournalBuckets returns the index as the journal holds it for [from, to):
// every bucket row and every cell row (under its CellPair) of every
// granularity, summed.
func (s *Store) JournalBuckets(ctx context.Context, from, to time.Time) (map[BucketKey]tension.Parts, error) {
	rows, err := s.conn.Query(ctx, `SELECT toString(granularity), if(kind = 'cell', concat(pair, '|', key), pair) AS p, `+rowViews+` AS in_view, bucket,
			sum(articles), sum(dyad_articles), sum(escalating), sum(deescalating), sum(mixed),
			sum(sum_score), sum(sum_weight)
		FROM index_journal
		WHERE (kind = 'bucket' AND key = '' OR kind = 'cell') AND bucket >= ? AND bucket < ?
		GROUP BY granularity, p, in_view, bucket`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: read journal buckets: %w", err)
	}
	defer rows.Close()
	out := map[BucketKey]tension.Parts{}
	for rows.Next() {
		var (
			g, pair, version string
			bucket           time.Time
			p                tension.Parts
		)
		if err := rows.Scan(&g, &pair, &version, &bucket, &p.Articles, &p.DyadArticles, &p.Escalating,
			&p.Deescalating, &p.Mixed, &p.SumScore, &p.SumWeight); err != nil {
			return nil, fmt.Errorf("store: scan journal bucket: %w", err)
		}
		out[BucketKey{tension.Granularity(g), pair, version, bucket.Unix()}] = p
	}
	return out, rows.Err()
}

// Rows turns bucket deltas into journal rows.
func Rows(deltas map[BucketKey]tension.Parts) []journal.Row {
	keys := make([]BucketKey, 0, len(deltas))
	for k := range deltas {
		keys = append(keys, k)
	}
	// In a fixed order: two rebuilds that computed the same correction write
	// the same block, which a replicated journal keeps once.
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Granularity != b.Granularity {
			return a.Granularity < b.Granularity
		}
		if a.Pair != b.Pair {
			return a.Pair < b.Pair
		}
		if a.TaggerVersion != b.TaggerVersion {
			return a.TaggerVersion < b.TaggerVersion
		}
		return a.Bucket < b.Bucket
	})
	out := make([]journal.Row, 0, len(deltas))
	for _, k := range keys {
		kind, pair, cell := journal.KindBucket, k.Pair, ""
		if p, c := tension.SplitCellPair(k.Pair); c != "" {
			kind, pair, cell = journal.KindCell, p, c
		}
		out = append(out, journal.Row{Kind: kind, Key: cell, Granularity: string(k.Granularity), Pair: pair,
			TaggerVersion: k.TaggerVersion, Bucket: time.Unix(k.Bucket, 0).UTC(), Entries: 1, Parts: deltas[k]})
	}
	return out
}

// Fingerprint is a summary of every block the journal holds, which any new
// block changes and merges do not: the sum of entries per row kind. Rebuild
// reads it before and after its reads; equal means no block landed between
// them, so the journal and the counted set it read belong together.
func (s *Store) Fingerprint(ctx context.Context) (string, error) {
	rows, err := s.conn.Query(ctx, `SELECT toString(kind), sum(entries), sum(position) FROM index_journal GROUP BY kind ORDER BY kind`)
	if err != nil {
		return "", fmt.Errorf("store: journal fingerprint: %w", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var k string
		var e, p int64
		if err := rows.Scan(&k, &e, &p); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s:%d:%d;", k, e, p)
	}
	return b.String(), rows.Err()
}

// Unsettled counts what rebuild must not correct yet: articles the journal
// counts more than once in a view, and pairs of live ledger ranges that
// overlap — conflicts a sink is about to cancel (whose compensation would
// then undo the correction a second time).
func (s *Store) Unsettled(ctx context.Context, from, to time.Time) (doubled int, overlaps int, err error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM (SELECT key, `+rowViews+` AS in_view FROM index_journal
		WHERE kind = 'article' AND pair = '*' AND bucket >= ? AND bucket < ?
		GROUP BY key, in_view HAVING sum(articles) > 1)`, from, to).Scan(&n); err != nil {
		return 0, 0, fmt.Errorf("store: count double counts: %w", err)
	}
	rows, err := s.conn.Query(ctx, `SELECT key, src_partition, src_offset, blk, sum(position), sum(entries)
		FROM index_journal WHERE kind = 'range' GROUP BY key, src_partition, src_offset, blk HAVING sum(entries) > 0`)
	if err != nil {
		return 0, 0, fmt.Errorf("store: read the ledger: %w", err)
	}
	defer rows.Close()
	byLog := map[string][]ledger.Range{}
	for rows.Next() {
		var (
			log string
			r   ledger.Range
			e   int64
		)
		if err := rows.Scan(&log, &r.Partition, &r.From, &r.Block, &r.To, &e); err != nil {
			return 0, 0, err
		}
		r.To /= e
		byLog[log] = append(byLog[log], r)
	}
	for _, rs := range byLog {
		overlaps += len(ledger.New(rs).Overlaps())
	}
	return int(n), overlaps, rows.Err()
}

// Uncounted counts the articles in [from, to) that the raw tables hold and
// the journal does not count: a batch in flight (its raw rows written, its
// block not yet), or one whose block was cancelled and is being counted
// again. When the sinks are idle it is zero.
func (s *Store) Uncounted(ctx context.Context, from, to time.Time) (int, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, `SELECT count() FROM (SELECT article_id, tagger_version FROM articles
		WHERE published_at >= ? AND published_at < ? GROUP BY article_id, tagger_version)
		WHERE (toString(article_id), tagger_version) NOT IN `+counted, from, to, from, to).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count uncounted articles: %w", err)
	}
	return int(n), nil
}
