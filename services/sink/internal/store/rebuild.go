package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
)

// BucketKey names one bucket row of the index.
type BucketKey struct {
	Granularity   tension.Granularity
	Pair          string
	TaggerVersion string
	Bucket        int64 // unix seconds of the bucket start
}

// RawMinutes recomputes the minute parts of [from, to) from the raw tables:
// per tagger version (each version's own view) and for the current view
// (each article once, under the tagger version that enriched it last).
// Duplicates in the raw tables collapse: articles are grouped by id and
// dyads read with FINAL.
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
		      WHERE published_at >= ? AND published_at < ? GROUP BY article_id, tagger_version)
		GROUP BY tagger_version, m
		UNION ALL
		SELECT '' AS current_view, toStartOfMinute(pub) AS m, count() AS n, 1 AS is_current
		FROM (SELECT article_id, argMax(published_at, version) AS pub FROM articles
		      WHERE published_at >= ? AND published_at < ? GROUP BY article_id)
		GROUP BY m`, from, to, from, to)
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
		GROUP BY pair, tagger_version, m
		UNION ALL
		SELECT pair, '' AS current_view, toStartOfMinute(published_at) AS m, ` + dyadParts + `
		FROM dyads FINAL WHERE published_at >= ? AND published_at < ?
		  AND (article_id, tagger_version) IN (
		      SELECT article_id, argMax(tagger_version, version) FROM articles
		      WHERE published_at >= ? AND published_at < ? GROUP BY article_id)
		GROUP BY pair, m`
	rows, err = s.conn.Query(ctx, q, from, to, from, to, from, to)
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
	return out, rows.Err()
}

// JournalBuckets returns the index as the journal holds it for [from, to):
// every bucket row of every granularity, summed.
func (s *Store) JournalBuckets(ctx context.Context, from, to time.Time) (map[BucketKey]tension.Parts, error) {
	rows, err := s.conn.Query(ctx, `SELECT toString(granularity), pair, tagger_version, bucket,
			sum(articles), sum(dyad_articles), sum(escalating), sum(deescalating), sum(mixed),
			sum(sum_score), sum(sum_weight)
		FROM index_journal
		WHERE kind = 'bucket' AND key = '' AND bucket >= ? AND bucket < ?
		GROUP BY granularity, pair, tagger_version, bucket`, from, to)
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
	out := make([]journal.Row, 0, len(deltas))
	for k, p := range deltas {
		out = append(out, journal.Row{Kind: journal.KindBucket, Granularity: string(k.Granularity), Pair: k.Pair,
			TaggerVersion: k.TaggerVersion, Bucket: time.Unix(k.Bucket, 0).UTC(), Entries: 1, Parts: p})
	}
	return out
}
