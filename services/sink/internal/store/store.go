// Package store is the sink's ClickHouse side: it reads the offset ledger
// and the articles already counted, and writes raw rows and journal blocks.
// Every INSERT names its columns (clickhouse-go needs that on 18.16) and
// sends its rows as one block.
package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
)

// Store writes the sink's tables.
type Store struct {
	conn driver.Conn

	mu       sync.Mutex
	maxParts int // partitions per INSERT block; 0 until read from the server
}

// New wraps an open connection (see chstore.Open) whose migrations are
// applied.
func New(conn driver.Conn) *Store { return &Store{conn: conn} }

// unlimited is maxParts when the server sets no limit.
const unlimited = -1

// MaxPartitionsPerBlock is how many partitions one INSERT block of a raw
// table may span: the server's max_partitions_per_insert_block (0 there
// means no limit, returned as -1), or DefaultMaxPartitions when the server
// has no such setting (18.16). It is read once and remembered.
func (s *Store) MaxPartitionsPerBlock(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxParts != 0 {
		return s.maxParts, nil
	}
	rows, err := s.conn.Query(ctx, `SELECT value FROM system.settings WHERE name = 'max_partitions_per_insert_block'`)
	if err != nil {
		return 0, fmt.Errorf("store: read max_partitions_per_insert_block: %w", err)
	}
	defer rows.Close()
	limit := DefaultMaxPartitions
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return 0, fmt.Errorf("store: scan max_partitions_per_insert_block: %w", err)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("store: max_partitions_per_insert_block = %q: not a count", v)
		}
		limit = n
		if n == 0 {
			limit = unlimited
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: read max_partitions_per_insert_block: %w", err)
	}
	s.maxParts = limit
	return limit, nil
}

// Priors returns what the journal holds for the given articles; articles
// never counted are absent.
func (s *Store) Priors(ctx context.Context, ids []string) (map[string]*journal.Prior, error) {
	out := map[string]*journal.Prior{}
	if len(ids) == 0 {
		return out, nil
	}
	set := make([]any, len(ids))
	for i, id := range ids {
		set[i] = id
	}
	rows, err := s.conn.Query(ctx, `SELECT key, tagger_version, pair, bucket,
			sum(entries), sum(articles), sum(dyad_articles), sum(escalating), sum(deescalating),
			sum(mixed), sum(sum_score), sum(sum_weight)
		FROM index_journal
		WHERE kind = 'article' AND key IN ?
		GROUP BY key, tagger_version, pair, bucket`, clickhouse.GroupSet{Value: set})
	if err != nil {
		return nil, fmt.Errorf("store: read priors of %d articles: %w", len(ids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, version, pair string
			bucket            time.Time
			entries           int64
			p                 tension.Parts
		)
		if err := rows.Scan(&id, &version, &pair, &bucket, &entries, &p.Articles, &p.DyadArticles,
			&p.Escalating, &p.Deescalating, &p.Mixed, &p.SumScore, &p.SumWeight); err != nil {
			return nil, fmt.Errorf("store: scan priors: %w", err)
		}
		if entries <= 0 {
			continue
		}
		prior := out[id]
		if prior == nil {
			prior = &journal.Prior{Versions: map[string]bool{}}
			out[id] = prior
		}
		if version != journal.CurrentView {
			prior.Versions[version] = true
			continue
		}
		if !p.IsZero() {
			prior.Current = append(prior.Current, journal.Contribution{Pair: pair, Bucket: bucket.UTC(), Parts: p})
		}
	}
	return out, rows.Err()
}

// WriteJournal inserts rows as one block: atomic, because index_journal has
// a single partition.
func (s *Store) WriteJournal(ctx context.Context, rows []journal.Row) error {
	if len(rows) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version,
		bucket, src_partition, src_offset, position, entries, blk, articles, dyad_articles, escalating, deescalating,
		mixed, sum_score, sum_weight)`)
	if err != nil {
		return fmt.Errorf("store: prepare journal insert: %w", err)
	}
	for _, r := range rows {
		if err := b.Append(r.Kind, r.Key, r.Granularity, r.Pair, r.TaggerVersion, r.Bucket, r.SrcPartition,
			r.SrcOffset, r.Position, r.Entries, r.Block, r.Articles, r.DyadArticles, r.Escalating, r.Deescalating,
			r.Mixed, r.SumScore, r.SumWeight); err != nil {
			b.Abort()
			return fmt.Errorf("store: append journal row: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("store: insert %d journal rows: %w", len(rows), err)
	}
	return nil
}

// Source is where an enriched article was read from.
type Source struct {
	Partition int32
	Offset    int64
}

// WriteRaw inserts the articles, their entities, dyads and cues, in runs of
// articles (one INSERT block per table and run) bounded by
// DefaultBlockBytes and by the partitions the server lets one block span
// (MaxPartitionsPerBlock). Raw tables are idempotent: a crash between
// INSERTs leaves rows that a replay writes again, which ReplacingMergeTree
// collapses. The journal block, written after, stays one atomic block.
func (s *Store) WriteRaw(ctx context.Context, arts []*event.Enriched, srcs []Source) error {
	if len(arts) == 0 {
		return nil
	}
	maxParts, err := s.MaxPartitionsPerBlock(ctx)
	if err != nil {
		return err
	}
	for _, r := range blocks(arts, srcs, DefaultBlockBytes, maxParts) {
		if err := s.writeRawBlock(ctx, r.arts, r.srcs); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) writeRawBlock(ctx context.Context, arts []*event.Enriched, srcs []Source) error {
	if err := s.insertArticles(ctx, arts, srcs); err != nil {
		return err
	}
	if err := s.insertEntities(ctx, arts); err != nil {
		return err
	}
	if err := s.insertDyads(ctx, arts); err != nil {
		return err
	}
	return s.insertCues(ctx, arts)
}

// version is the ReplacingMergeTree version of an article's rows: its
// tagger version's precedence, so that argMax(…, version) over an
// article's rows picks the highest tagger version, as the journal does
// (event.TaggerPrecedence; ValidateEnriched has checked it).
func version(e *event.Enriched) uint64 {
	p, _ := event.TaggerPrecedence(e.TaggerVersion)
	return p
}

func (s *Store) insertArticles(ctx context.Context, arts []*event.Enriched, srcs []Source) error {
	b, err := s.conn.PrepareBatch(ctx, `INSERT INTO articles (article_id, tagger_version, published_at,
		received_at, enriched_at, url, source, title, text, relevant, countries, topics, pairs,
		src_partition, src_offset, version)`)
	if err != nil {
		return fmt.Errorf("store: prepare articles insert: %w", err)
	}
	for i, e := range arts {
		pairs := make([]string, len(e.Dyads))
		for j, d := range e.Dyads {
			pairs[j] = d.Pair
		}
		var relevant uint8
		if e.Relevant {
			relevant = 1
		}
		if err := b.Append(e.ArticleID, e.TaggerVersion, e.EventTime(), e.ReceivedAt.UTC(), e.EnrichedAt.UTC(),
			e.URL, e.Source, e.Title, e.Text, relevant, nonNil(e.Countries), nonNil(e.Topics), pairs,
			srcs[i].Partition, srcs[i].Offset, version(e)); err != nil {
			b.Abort()
			return fmt.Errorf("store: append article %s: %w", e.ArticleID, err)
		}
	}
	return send(b, "articles", len(arts))
}

func (s *Store) insertEntities(ctx context.Context, arts []*event.Enriched) error {
	b, err := s.conn.PrepareBatch(ctx, `INSERT INTO entities (published_at, article_id, tagger_version, idx,
		text, type, canonical, country, start_offset, end_offset, version)`)
	if err != nil {
		return fmt.Errorf("store: prepare entities insert: %w", err)
	}
	n := 0
	for _, e := range arts {
		for i, en := range e.Entities {
			if err := b.Append(e.EventTime(), e.ArticleID, e.TaggerVersion, uint32(i), en.Text, en.Type,
				en.Canonical, en.Country, uint32(en.Start), uint32(en.End), version(e)); err != nil {
				b.Abort()
				return fmt.Errorf("store: append entity of %s: %w", e.ArticleID, err)
			}
			n++
		}
	}
	return send(b, "entities", n)
}

func (s *Store) insertDyads(ctx context.Context, arts []*event.Enriched) error {
	b, err := s.conn.PrepareBatch(ctx, `INSERT INTO dyads (pair, published_at, article_id, tagger_version,
		tension, direction, weight, n_cues, version)`)
	if err != nil {
		return fmt.Errorf("store: prepare dyads insert: %w", err)
	}
	n := 0
	for _, e := range arts {
		for _, d := range e.Dyads {
			if err := b.Append(d.Pair, e.EventTime(), e.ArticleID, e.TaggerVersion, d.Tension, direction(d.Direction),
				d.TotalWeight(), uint32(d.TotalCues()), version(e)); err != nil {
				b.Abort()
				return fmt.Errorf("store: append dyad of %s: %w", e.ArticleID, err)
			}
			n++
		}
	}
	return send(b, "dyads", n)
}

func (s *Store) insertCues(ctx context.Context, arts []*event.Enriched) error {
	b, err := s.conn.PrepareBatch(ctx, `INSERT INTO cues (pair, published_at, article_id, tagger_version, idx,
		text, category, sentence, start_offset, end_offset, actor, target, polarity, weight, hedged, negated,
		future, background, source, source_type, version)`)
	if err != nil {
		return fmt.Errorf("store: prepare cues insert: %w", err)
	}
	n := 0
	for _, e := range arts {
		for _, d := range e.Dyads {
			for i, c := range d.Cues {
				if err := b.Append(d.Pair, e.EventTime(), e.ArticleID, e.TaggerVersion, uint32(i), c.Text, c.Category,
					int32(c.Sentence), uint32(c.Start), uint32(c.End), c.Actor, c.Target, int8(c.Polarity), c.Weight,
					b2u(c.Hedged), b2u(c.Negated), b2u(c.Future), b2u(c.Background), c.Source, c.SourceType,
					version(e)); err != nil {
					b.Abort()
					return fmt.Errorf("store: append cue of %s: %w", e.ArticleID, err)
				}
				n++
			}
		}
	}
	return send(b, "cues", n)
}

func send(b driver.Batch, table string, n int) error {
	if n == 0 {
		return b.Abort()
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("store: insert %d rows into %s: %w", n, table, err)
	}
	return nil
}

func direction(d string) string {
	if d == "" {
		return event.DirectionNeutral
	}
	return d
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
