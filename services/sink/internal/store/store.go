// Package store is the sink's ClickHouse side: it reads the offset ledger
// and the articles already counted, and writes raw rows and journal blocks.
// Every INSERT names its columns (clickhouse-go needs that on 18.16) and
// sends its rows as one block.
package store

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"golang.org/x/sync/errgroup"

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
// never counted are absent. It reads the journal only for the articles
// article_keys names (WriteJournal puts a block's keys there before the
// block): in a live stream nearly none, so a batch no longer reads the
// journal's keys, which grow with the history (make bench-lookup).
func (s *Store) Priors(ctx context.Context, ids []string) (map[string]*journal.Prior, error) {
	out := map[string]*journal.Prior{}
	if len(ids) == 0 {
		return out, nil
	}
	ctx, err := withIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, `SELECT key, `+rowViews+` AS in_view, pair, cell, marker, bucket,
			sum(entries), sum(articles), sum(dyad_articles), sum(escalating), sum(deescalating),
			sum(mixed), sum(sum_score), sum(sum_weight)
		FROM index_journal
		PREWHERE key IN (`+keysNamed+`)
		WHERE kind = 'article'
		GROUP BY key, in_view, pair, cell, marker, bucket`)
	if err != nil {
		return nil, fmt.Errorf("store: read priors of %d articles: %w", len(ids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, version, pair, cell, marker string
			bucket                          time.Time
			entries                         int64
			p                               tension.Parts
		)
		if err := rows.Scan(&id, &version, &pair, &cell, &marker, &bucket, &entries, &p.Articles, &p.DyadArticles,
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
			prior.Current = append(prior.Current, journal.Contribution{Pair: pair, Bucket: bucket.UTC(), Cell: cell, Marker: marker, Parts: p})
		}
	}
	return out, rows.Err()
}

// rowViews is a journal row's views, one result row each: its tagger
// version's and, when in_current (journal.Row.InCurrent; article rows since
// migration 0013, bucket and cell rows since 0014), the current view
// (journal.CurrentView). Every reader that groups article, bucket or cell
// rows by view goes through it, so a row written once for both views reads
// as the two rows it stands for; BlockRows reads the flag as it is (a
// compensation negates rows as written), and rebuild's counted set reads
// versions' own views, where such a row is by its tagger_version.
const rowViews = `arrayJoin(if(in_current = 1, [tagger_version, ''], [tagger_version]))`

// keysNamed selects the rows of article_keys for the ids in idsTable (a
// row per block that counts one): found by their hashes (the table's sort
// key, 8 bytes a row), then checked whole. Priors and ClaimsBeside read the
// journal for the keys it finds.
const keysNamed = `SELECT key FROM article_keys PREWHERE h IN (SELECT cityHash64(id) FROM ` + idsTable + `)
		WHERE key IN ` + idsTable

// idsTable is the external table withIDs sends with a query.
//
// The lookups by id say PREWHERE key IN idsTable: ids are hashes, so each
// one falls in its own granule of every part of the journal. Left to
// itself, ClickHouse 18.16 read every selected column of every granule an
// id touched (claims of 100 ids on a journal of 3 M articles: 1.24 M rows,
// 112.6 MiB); with the ids as PREWHERE it reads their keys, and the other
// columns only where a key matched (the same rows, 53.3 MiB): priors and
// claims took about half the time (make bench-lookup), with the same
// answers.
const idsTable = "_sink_ids"

// withIDs sends ids with the query as the external table idsTable (one
// String column, id), for `key IN _sink_ids`. A batch reads the journal for
// up to 10,000 articles twice (priors, claims): as an IN list in the SQL
// text the server parsed 10,000 literals each time, ~5x the CPU of the
// whole lookup with the ids sent as data.
func withIDs(ctx context.Context, ids []string) (context.Context, error) {
	t, err := ext.NewTable(idsTable, ext.Column("id", "String"))
	if err != nil {
		return nil, fmt.Errorf("store: external table of ids: %w", err)
	}
	for _, id := range ids {
		if err := t.Append(id); err != nil {
			return nil, fmt.Errorf("store: external table of ids: %w", err)
		}
	}
	return clickhouse.Context(ctx, clickhouse.WithExternalTable(t)), nil
}

// WriteJournal inserts rows as one block: atomic, because index_journal has
// a single partition. The keys of its article rows go into article_keys
// first (writeKeys): whoever finds the block's rows finds their keys, which
// is what lets Priors and ClaimsBeside read the journal only for the
// articles article_keys names.
func (s *Store) WriteJournal(ctx context.Context, rows []journal.Row) error {
	if err := s.writeKeys(ctx, rows); err != nil {
		return err
	}
	n := len(rows)
	var (
		kinds, keys, grans, pairs, versions, blocks = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		cells, markers                              = make([]string, n), make([]string, n)
		buckets                                     = make([]time.Time, n)
		partitions                                  = make([]int32, n)
		srcOffsets, positions, entries              = make([]int64, n), make([]int64, n), make([]int64, n)
		inCurrent                                   = make([]uint8, n)
		arts, dyads, esc, deesc, mixed              = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		scores, weights                             = make([]float64, n), make([]float64, n)
	)
	for i, r := range rows {
		kinds[i], keys[i], grans[i], pairs[i], versions[i], blocks[i], cells[i] = r.Kind, r.Key, r.Granularity, r.Pair, r.TaggerVersion, r.Block, r.Cell
		markers[i] = r.Marker
		buckets[i], partitions[i], srcOffsets[i], positions[i], entries[i] = r.Bucket, r.SrcPartition, r.SrcOffset, r.Position, r.Entries
		arts[i], dyads[i], esc[i], deesc[i], mixed[i] = r.Articles, r.DyadArticles, r.Escalating, r.Deescalating, r.Mixed
		scores[i], weights[i] = r.SumScore, r.SumWeight
		if r.InCurrent {
			inCurrent[i] = 1
		}
	}
	return s.insertColumns(ctx, "index_journal", `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version,
		bucket, src_partition, src_offset, position, entries, blk, articles, dyad_articles, escalating, deescalating,
		mixed, sum_score, sum_weight, in_current, cell, marker)`, n,
		kinds, keys, grans, pairs, versions, buckets, partitions, srcOffsets, positions, entries, blocks, arts, dyads, esc, deesc, mixed, scores, weights, inCurrent, cells, markers)
}

// writeKeys inserts the (key, block) of rows' article rows into
// article_keys; nothing when there are none (a rebuild's corrections). A
// block's rows come grouped by article, so a key repeated next to itself is
// sent once; a repeat elsewhere is the same row again, which the table
// keeps once.
func (s *Store) writeKeys(ctx context.Context, rows []journal.Row) error {
	var keys, blocks []string
	for _, r := range rows {
		if r.Kind != journal.KindArticle {
			continue
		}
		if n := len(keys); n > 0 && keys[n-1] == r.Key && blocks[n-1] == r.Block {
			continue
		}
		keys, blocks = append(keys, r.Key), append(blocks, r.Block)
	}
	if err := s.insertColumns(ctx, "article_keys", `INSERT INTO article_keys (key, blk)`, len(keys), keys, blocks); err != nil {
		return fmt.Errorf("store: the article keys of a journal block: %w", err)
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
		if err := s.writeRawBlock(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// writeRawBlock inserts one run (in time order, see blocks) into the four
// raw tables at once, each on a connection of its own: the server works on
// the four blocks in parallel, and the client encodes one while another is
// in flight. They are independent (a replay rewrites whichever did not
// land). Each block goes in its table's order (order.go).
func (s *Store) writeRawBlock(ctx context.Context, r run) error {
	arts := r.arts
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.insertArticles(gctx, r) })
	g.Go(func() error { return s.insertEntities(gctx, arts) })
	dyads := byPair(arts)
	g.Go(func() error { return s.insertDyads(gctx, dyads) })
	g.Go(func() error { return s.insertCues(gctx, dyads) })
	return g.Wait()
}

// precedenceMemo gives the ReplacingMergeTree version of an article's rows:
// its tagger version's precedence, so that argMax(…, version) over an
// article's rows picks the highest tagger version, as the journal does
// (event.TaggerPrecedence; ValidateEnriched has checked it). It remembers
// the last version it ranked: a run's articles nearly all share one, and
// parsing it for every row group was ~2 % of the sink's CPU.
type precedenceMemo struct {
	last string
	rank uint64
}

func (rv *precedenceMemo) of(e *event.Enriched) uint64 {
	if rv.rank == 0 || e.TaggerVersion != rv.last {
		rv.rank, _ = event.TaggerPrecedence(e.TaggerVersion)
		rv.last = e.TaggerVersion
	}
	return rv.rank
}

// The raw inserts build their blocks column by column (one Append of a
// slice per column instead of one reflective Append per row): the client's
// share of an insert is then little more than copying the values.

func (s *Store) insertArticles(ctx context.Context, r run) error {
	arts, srcs := byID(r)
	n := len(arts)
	var (
		ids, versions, urls, sources, titles, texts = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		published, received, enriched               = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		relevant                                    = make([]uint8, n)
		countries, topics, pairs                    = make([][]string, n), make([][]string, n), make([][]string, n)
		partitions                                  = make([]int32, n)
		offsets                                     = make([]int64, n)
		rowVersions                                 = make([]uint64, n)
		langs                                       = make([]string, n)
		unsupported                                 = make([]uint8, n)
		dateSources                                 = make([]string, n)
	)
	var ranks precedenceMemo
	// Every article's pairs are a piece of one slice, not a slice each.
	dyads := 0
	for _, e := range arts {
		dyads += len(e.Dyads)
	}
	allPairs := make([]string, 0, dyads)
	for i, e := range arts {
		ids[i], versions[i], urls[i], sources[i], titles[i], texts[i] = e.ArticleID, e.TaggerVersion, e.URL, e.Source, e.Title, e.Text
		published[i], received[i], enriched[i] = e.EventTime(), e.ReceivedAt.UTC(), e.EnrichedAt.UTC()
		relevant[i] = b2u(e.Relevant)
		countries[i], topics[i] = nonNil(e.Countries), nonNil(e.Topics)
		start := len(allPairs)
		for _, d := range e.Dyads {
			allPairs = append(allPairs, d.Pair)
		}
		pairs[i] = allPairs[start:len(allPairs):len(allPairs)]
		partitions[i], offsets[i], rowVersions[i] = srcs[i].Partition, srcs[i].Offset, ranks.of(e)
		langs[i], unsupported[i] = e.Lang, b2u(e.Unsupported)
		dateSources[i] = e.PublishedAtSource
	}
	return s.insertChunked(ctx, "articles", `INSERT INTO articles (article_id, tagger_version, published_at,
		received_at, enriched_at, url, source, title, text, relevant, countries, topics, pairs,
		src_partition, src_offset, version, lang, unsupported, published_at_source)`, n,
		ids, versions, published, received, enriched, urls, sources, titles, texts, relevant, countries, topics, pairs,
		partitions, offsets, rowVersions, langs, unsupported, dateSources)
}

func (s *Store) insertEntities(ctx context.Context, arts []*event.Enriched) error {
	n := 0
	for _, e := range arts {
		n += len(e.Entities)
	}
	var (
		published                                = make([]time.Time, 0, n)
		ids, versions, texts, types, canon, ctry = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		idx, starts, ends                        = make([]uint32, 0, n), make([]uint32, 0, n), make([]uint32, 0, n)
		rowVersions                              = make([]uint64, 0, n)
	)
	var ranks precedenceMemo
	for _, e := range arts {
		t, v := e.EventTime(), ranks.of(e)
		for i, en := range e.Entities {
			published, ids, versions = append(published, t), append(ids, e.ArticleID), append(versions, e.TaggerVersion)
			idx, texts, types = append(idx, uint32(i)), append(texts, en.Text), append(types, en.Type)
			canon, ctry = append(canon, en.Canonical), append(ctry, en.Country)
			starts, ends, rowVersions = append(starts, uint32(en.Start)), append(ends, uint32(en.End)), append(rowVersions, v)
		}
	}
	return s.insertChunked(ctx, "entities", `INSERT INTO entities (published_at, article_id, tagger_version, idx,
		text, type, canonical, country, start_offset, end_offset, version)`, n,
		published, ids, versions, idx, texts, types, canon, ctry, starts, ends, rowVersions)
}

func (s *Store) insertDyads(ctx context.Context, dyads []dyadRef) error {
	n := len(dyads)
	var (
		pairs, ids, versions, directions = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		published                        = make([]time.Time, 0, n)
		tensions, weights                = make([]float64, 0, n), make([]float64, 0, n)
		nCues                            = make([]uint32, 0, n)
		rowVersions                      = make([]uint64, 0, n)
	)
	var ranks precedenceMemo
	for _, r := range dyads {
		e, d := r.e, r.d
		t, v := e.EventTime(), ranks.of(e)
		pairs, published, ids, versions = append(pairs, d.Pair), append(published, t), append(ids, e.ArticleID), append(versions, e.TaggerVersion)
		tensions, directions = append(tensions, d.Tension), append(directions, direction(d.Direction))
		weights, nCues, rowVersions = append(weights, d.TotalWeight()), append(nCues, uint32(d.TotalCues())), append(rowVersions, v)
	}
	return s.insertChunked(ctx, "dyads", `INSERT INTO dyads (pair, published_at, article_id, tagger_version,
		tension, direction, weight, n_cues, version)`, n,
		pairs, published, ids, versions, tensions, directions, weights, nCues, rowVersions)
}

func (s *Store) insertCues(ctx context.Context, dyads []dyadRef) error {
	n := 0
	for _, r := range dyads {
		n += len(r.d.Cues)
	}
	var (
		pairs, ids, versions, texts, categories = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		actors, targets, sources, sourceTypes   = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		published                               = make([]time.Time, 0, n)
		idx, starts, ends                       = make([]uint32, 0, n), make([]uint32, 0, n), make([]uint32, 0, n)
		sentences                               = make([]int32, 0, n)
		polarities                              = make([]int8, 0, n)
		weights                                 = make([]float64, 0, n)
		hedged, negated, future, background     = make([]uint8, 0, n), make([]uint8, 0, n), make([]uint8, 0, n), make([]uint8, 0, n)
		rowVersions                             = make([]uint64, 0, n)
	)
	var ranks precedenceMemo
	for _, r := range dyads {
		e, d := r.e, r.d
		t, v := e.EventTime(), ranks.of(e)
		for i, c := range d.Cues {
			pairs, published, ids, versions = append(pairs, d.Pair), append(published, t), append(ids, e.ArticleID), append(versions, e.TaggerVersion)
			idx, texts, categories, sentences = append(idx, uint32(i)), append(texts, c.Text), append(categories, c.Category), append(sentences, int32(c.Sentence))
			starts, ends, actors, targets = append(starts, uint32(c.Start)), append(ends, uint32(c.End)), append(actors, c.Actor), append(targets, c.Target)
			polarities, weights = append(polarities, int8(c.Polarity)), append(weights, c.Weight)
			hedged, negated, future, background = append(hedged, b2u(c.Hedged)), append(negated, b2u(c.Negated)), append(future, b2u(c.Future)), append(background, b2u(c.Background))
			sources, sourceTypes, rowVersions = append(sources, c.Source), append(sourceTypes, c.SourceType), append(rowVersions, v)
		}
	}
	return s.insertChunked(ctx, "cues", `INSERT INTO cues (pair, published_at, article_id, tagger_version, idx,
		text, category, sentence, start_offset, end_offset, actor, target, polarity, weight, hedged, negated,
		future, background, source, source_type, version)`, n,
		pairs, published, ids, versions, idx, texts, categories, sentences, starts, ends, actors, targets, polarities, weights,
		hedged, negated, future, background, sources, sourceTypes, rowVersions)
}

// insertColumns sends one block of n rows given column by column, in the
// order of the INSERT's column list; nothing when n is 0.
func (s *Store) insertColumns(ctx context.Context, table, query string, n int, cols ...any) error {
	return s.insertBlocks(ctx, table, query, n, n, cols...)
}

// rawChunkRows is how many rows of a raw table go into one block of an
// INSERT. The server squashes the blocks of an INSERT before it writes
// them (one part per partition, as for one block; 18.16 does too), and the
// driver keeps its columns' room from block to block: one block of a whole
// run grew every column from empty, a string column by a quarter at a time
// past its first few KB, five times its size in allocations.
const rawChunkRows = 1024

// insertChunked is insertColumns for the raw tables: the rows go in blocks
// of rawChunkRows within the one INSERT. An INSERT cut off between two
// blocks may leave the blocks sent so far written: harmless for the raw
// tables (a replay writes the rows again, ReplacingMergeTree keeps one),
// and why the journal's block, which must land whole or not at all, is
// never split.
func (s *Store) insertChunked(ctx context.Context, table, query string, n int, cols ...any) error {
	return s.insertBlocks(ctx, table, query, n, rawChunkRows, cols...)
}

// insertBlocks sends n rows given column by column (each a slice, in the
// order of the INSERT's column list) as one INSERT of blocks of at most
// blockRows rows; nothing when n is 0.
func (s *Store) insertBlocks(ctx context.Context, table, query string, n, blockRows int, cols ...any) error {
	if n == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, query)
	if err != nil {
		return fmt.Errorf("store: prepare %s insert: %w", table, err)
	}
	vals := make([]reflect.Value, len(cols))
	for i, c := range cols {
		vals[i] = reflect.ValueOf(c)
	}
	for from := 0; from < n; from += blockRows {
		if from > 0 {
			if err := b.Flush(); err != nil {
				b.Abort()
				return fmt.Errorf("store: insert rows %d-%d of %d into %s: %w", from-blockRows, from, n, table, err)
			}
		}
		to := min(from+blockRows, n)
		for i, v := range vals {
			if err := b.Column(i).Append(v.Slice(from, to).Interface()); err != nil {
				b.Abort()
				return fmt.Errorf("store: append column %d of %s: %w", i, table, err)
			}
		}
	}
	return send(b, table, n)
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
