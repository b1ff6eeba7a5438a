package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/chstore"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
)

// RangeRow is one range of the ledger with its summed entries: 1 while
// live, 0 once compensated, below 0 if a compensation was applied twice
// (which replicated tables' insert deduplication prevents).
type RangeRow struct {
	ledger.Range
	Entries int64
}

// Ranges returns the ranges of log that start at or after from[p], for each
// partition p of from, with their entries (0-entry rows left out). The
// journal's rows of the same range sum whatever the merge state.
//
// A range row's pair is its journal.RangeKey, which the journal's primary
// index can find, so the read takes the granules of the ranges asked for,
// not every range of the partition; rows written before RangeKey (pair "")
// are read by partition as before, and both forms of one range sum alike
// (a compensation copies the pair of the rows it cancels).
func (s *Store) Ranges(ctx context.Context, log string, from map[int32]int64) ([]RangeRow, error) {
	if len(from) == 0 {
		return nil, nil
	}
	var (
		cond []string
		args = []any{log}
	)
	for p, f := range from {
		cond = append(cond, "(pair >= ? AND pair <= ?)", "(pair = '' AND src_partition = ? AND src_offset >= ?)")
		args = append(args, journal.RangeKey(p, f), journal.RangeKey(p, math.MaxInt64), p, f)
	}
	rows, err := s.conn.Query(ctx, `SELECT src_partition, src_offset, blk, sum(position), sum(entries)
		FROM index_journal WHERE kind = 'range' AND key = ? AND (`+strings.Join(cond, " OR ")+`)
		GROUP BY src_partition, src_offset, blk HAVING sum(entries) != 0`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read ledger of %s: %w", log, err)
	}
	defer rows.Close()
	var out []RangeRow
	for rows.Next() {
		var r RangeRow
		var to int64
		if err := rows.Scan(&r.Partition, &r.From, &r.Block, &to, &r.Entries); err != nil {
			return nil, fmt.Errorf("store: scan ledger: %w", err)
		}
		r.To = to
		if r.Entries > 0 {
			r.To = to / r.Entries // a range written twice by one block cannot happen; keep the span right anyway
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LegacyLedger returns the ledger a journal kept before blocks had ids
// (migration 0006), keyed by topic: per partition, the next offset to read.
func (s *Store) LegacyLedger(ctx context.Context, topic string) (map[int32]int64, error) {
	rows, err := s.conn.Query(ctx, `SELECT src_partition, sum(position) FROM index_journal
		WHERE kind = 'offset' AND key = ? GROUP BY src_partition`, topic)
	if err != nil {
		return nil, fmt.Errorf("store: read legacy ledger of %s: %w", topic, err)
	}
	defer rows.Close()
	out := map[int32]int64{}
	for rows.Next() {
		var p int32
		var pos int64
		if err := rows.Scan(&p, &pos); err != nil {
			return nil, fmt.Errorf("store: scan legacy ledger: %w", err)
		}
		if pos > 0 {
			out[p] = pos
		}
	}
	return out, rows.Err()
}

// RangeStarts returns, for each partition of ends (the log's end offset
// there), the first offset of its last range (live or not): where a reader
// of the ledger's recent past starts; a partition without ranges is left
// out.
//
// It does not read all of a partition's range rows, one per block ever
// written: ranges start below the log's end (or above it, where the log
// lost messages: the windows have no upper bound), so the last one is in a
// window back from the end — 2^20 offsets, then twice as many until one
// holds a range — which the journal's index bounds by journal.RangeKey. Rows written before RangeKey
// (pair "") are read whole once, by partition; the windows never need to
// reach below their last start, nor below offset 0.
func (s *Store) RangeStarts(ctx context.Context, log string, ends map[int32]int64) (map[int32]int64, error) {
	out := map[int32]int64{}
	if len(ends) == 0 {
		return out, nil
	}
	var (
		cond []string
		args = []any{log}
	)
	for p := range ends {
		cond = append(cond, "src_partition = ?")
		args = append(args, p)
	}
	if err := s.maxStarts(ctx, out, `pair = '' AND (`+strings.Join(cond, " OR ")+`)`, args); err != nil {
		return nil, err
	}
	bottom := map[int32]int64{} // where a partition's windows may stop
	for p := range ends {
		bottom[p] = max(0, out[p])
	}
	left := maps.Clone(ends)
	for w := int64(journal.MaxRange); len(left) > 0; w *= 2 {
		cond, args = cond[:0], []any{log}
		low := map[int32]int64{}
		for p, end := range left {
			low[p] = max(bottom[p], end-w)
			cond = append(cond, "(pair >= ? AND pair <= ?)")
			args = append(args, journal.RangeKey(p, low[p]), journal.RangeKey(p, math.MaxInt64))
		}
		found := map[int32]int64{}
		if err := s.maxStarts(ctx, found, strings.Join(cond, " OR "), args); err != nil {
			return nil, err
		}
		for p := range left {
			f, ok := found[p]
			if ok {
				out[p] = max(out[p], f)
			}
			if ok || low[p] <= bottom[p] || w > math.MaxInt64/2 {
				delete(left, p)
			}
		}
	}
	return out, nil
}

// maxStarts adds to out, per partition, the largest first offset of the
// range rows of the log (args[0]) that match cond.
func (s *Store) maxStarts(ctx context.Context, out map[int32]int64, cond string, args []any) error {
	rows, err := s.conn.Query(ctx, `SELECT src_partition, max(src_offset) FROM index_journal
		WHERE kind = 'range' AND key = ? AND (`+cond+`) GROUP BY src_partition`, args...)
	if err != nil {
		return fmt.Errorf("store: read range starts of %s: %w", args[0], err)
	}
	defer rows.Close()
	for rows.Next() {
		var p int32
		var off int64
		if err := rows.Scan(&p, &off); err != nil {
			return fmt.Errorf("store: scan range starts: %w", err)
		}
		out[p] = off
	}
	return rows.Err()
}

// Logs returns the logs (topic@topic-id) of topic other than current that
// the ledger holds ranges of — one means the topic was recreated, or the
// brokers rebuilt, since the journal counted from it — and whether it holds
// ranges of current. Read once per generation, and not through every range
// row of current (one per block it ever counted): the index skips its
// granules for the others, and the check for its own stops at the first.
func (s *Store) Logs(ctx context.Context, topic, current string) (others []string, hasCurrent bool, err error) {
	prefix, end := topic+"@", topic+"A" // every key with the prefix sorts in [prefix, end): 'A' follows '@'
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT key FROM index_journal
		WHERE kind = 'range' AND ((key >= ? AND key < ?) OR (key > ? AND key < ?))`, prefix, current, current, end)
	if err != nil {
		return nil, false, fmt.Errorf("store: read the logs of %s: %w", topic, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, false, err
		}
		others = append(others, k)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	// One thread reading blocks of a granule: the LIMIT stops it after the
	// first (by default each of the server's threads reads 65,536 rows). In
	// the statement, not the context, which would replace the caller's.
	var n uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM (SELECT 1 FROM index_journal WHERE kind = 'range' AND key = ? LIMIT 1)
		SETTINGS max_threads = 1, max_block_size = 8192`, current).Scan(&n); err != nil {
		return nil, false, fmt.Errorf("store: read the ranges of %s: %w", current, err)
	}
	return others, n > 0, nil
}

// BlockRows returns a block's article rows and its live range rows, each key
// once, in the order journal.Compensation needs nothing from: it sorts.
func (s *Store) BlockRows(ctx context.Context, block string) (articles, ranges []journal.Row, err error) {
	rows, err := s.conn.Query(ctx, `SELECT key, pair, tagger_version, bucket, in_current, cell, marker, sum(entries),
			sum(articles), sum(dyad_articles), sum(escalating), sum(deescalating), sum(mixed), sum(sum_score), sum(sum_weight)
		FROM index_journal WHERE kind = 'article' AND blk = ?
		GROUP BY key, pair, tagger_version, bucket, in_current, cell, marker HAVING sum(entries) != 0`, block)
	if err != nil {
		return nil, nil, fmt.Errorf("store: read the articles of block %s: %w", block, err)
	}
	for rows.Next() {
		r := journal.Row{Kind: journal.KindArticle, Granularity: "none", Block: block}
		var (
			bucket    time.Time
			inCurrent uint8
		)
		p := &r.Parts
		if err := rows.Scan(&r.Key, &r.Pair, &r.TaggerVersion, &bucket, &inCurrent, &r.Cell, &r.Marker, &r.Entries, &p.Articles, &p.DyadArticles,
			&p.Escalating, &p.Deescalating, &p.Mixed, &p.SumScore, &p.SumWeight); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("store: scan block articles: %w", err)
		}
		r.Bucket, r.InCurrent = bucket.UTC(), inCurrent == 1
		articles = append(articles, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = s.conn.Query(ctx, `SELECT key, pair, src_partition, src_offset, sum(position), sum(entries)
		FROM index_journal WHERE kind = 'range' AND blk = ?
		GROUP BY key, pair, src_partition, src_offset HAVING sum(entries) > 0`, block)
	if err != nil {
		return nil, nil, fmt.Errorf("store: read the ranges of block %s: %w", block, err)
	}
	defer rows.Close()
	for rows.Next() {
		r := journal.Row{Kind: journal.KindRange, Granularity: "none", Block: block, Bucket: time.Unix(0, 0).UTC()}
		if err := rows.Scan(&r.Key, &r.Pair, &r.SrcPartition, &r.SrcOffset, &r.Position, &r.Entries); err != nil {
			return nil, nil, fmt.Errorf("store: scan block ranges: %w", err)
		}
		ranges = append(ranges, r)
	}
	return articles, ranges, rows.Err()
}

// Claims returns, per article, view and block, how many times the block's
// rows count the article (the sum of articles in the pair "*").
func (s *Store) Claims(ctx context.Context, ids []string) ([]ledger.Claim, error) {
	return s.claims(ctx, ids, idsTable)
}

// claims is Claims of the articles among ids that the set expression in
// (an external table, or a subquery of it) holds; args are the
// expression's parameters.
func (s *Store) claims(ctx context.Context, ids []string, in string, args ...any) ([]ledger.Claim, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ctx, err := withIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, `SELECT key, `+rowViews+` AS in_view, blk, sum(articles) FROM index_journal
		PREWHERE key IN `+in+` WHERE kind = 'article' AND pair = ?
		GROUP BY key, in_view, blk HAVING sum(articles) != 0`, append(args, tension.AllPair)...)
	if err != nil {
		return nil, fmt.Errorf("store: read the claims of %d articles: %w", len(ids), err)
	}
	defer rows.Close()
	var out []ledger.Claim
	for rows.Next() {
		var c ledger.Claim
		if err := rows.Scan(&c.Article, &c.Version, &c.Block, &c.Count); err != nil {
			return nil, fmt.Errorf("store: scan claims: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ClaimsBeside is Claims for the articles of block just written: it reads
// the journal only for those article_keys says another block counts too.
// The others can have no conflict (one adder), and in a live stream they
// are nearly all — reading the journal for all of them read nearly all of
// its keys per batch once it held a few million articles.
//
// It misses no conflict a later check would not see: every writer puts a
// block's keys into article_keys before the block, so a block whose rows
// this read would have found had its keys there first; a block that lands
// after this read was written after this block, and its writer's own check
// finds this one. On a cluster the replica must be caught up on
// article_keys (CaughtUp) for the first half to hold.
func (s *Store) ClaimsBeside(ctx context.Context, ids []string, block string) ([]ledger.Claim, error) {
	return s.claims(ctx, ids, `(`+keysNamed+` GROUP BY key HAVING countIf(blk != ?) > 0)`, block)
}

// Deduplicates reports whether index_journal drops an INSERT whose block is
// identical to a recent one: Replicated*MergeTree tables do (insert
// deduplication, replicated_deduplication_window); a single 18.16 server's
// tables do not.
func (s *Store) Deduplicates(ctx context.Context) (bool, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM system.replicas
		WHERE database = currentDatabase() AND table = 'index_journal'`).Scan(&n); err != nil {
		return false, fmt.Errorf("store: read replication state: %w", err)
	}
	return n > 0, nil
}

// NotNewer returns chstore.ErrSchemaNewer when a newer release migrated the
// database: this sink must stop writing (chstore.CheckNotNewer).
func (s *Store) NotNewer(ctx context.Context) error {
	return chstore.CheckNotNewer(ctx, s.conn)
}

// ErrReplicaBehind means the replica this connection reads from has not
// got every journal block the cluster acknowledged (it is still fetching
// them, or the replica that has them is down): what it says about the
// ledger may be old, so the sink waits instead of counting from it.
var ErrReplicaBehind = errors.New("store: this ClickHouse replica is behind on the journal")

// CaughtUp returns nil when index_journal is not replicated, or when this
// replica has every block the replication log announced, of the journal and
// of article_keys (ClaimsBeside reads both): nothing to fetch in their
// queues and their whole logs read.
func (s *Store) CaughtUp(ctx context.Context) error {
	rows, err := s.conn.Query(ctx, `SELECT zookeeper_path, inserts_in_queue, log_pointer, log_max_index, is_readonly
		FROM system.replicas WHERE database = currentDatabase() AND table IN ('index_journal', 'article_keys')`)
	if err != nil {
		return fmt.Errorf("store: read replication state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			path              string
			inserts           uint32
			pointer, maxIndex uint64
			readonly          uint8
		)
		if err := rows.Scan(&path, &inserts, &pointer, &maxIndex, &readonly); err != nil {
			return fmt.Errorf("store: scan replication state: %w", err)
		}
		if readonly != 0 {
			return fmt.Errorf("%w: the replica is read-only (it lost its ZooKeeper session)", ErrReplicaBehind)
		}
		if inserts > 0 {
			return fmt.Errorf("%w: %d blocks to fetch", ErrReplicaBehind, inserts)
		}
		if pointer <= maxIndex {
			// The log's entries are numbered from 0: an empty log and a log
			// of one unread entry both say max 0, pointer 0.
			var n uint64
			if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.zookeeper WHERE path = ?", path+"/log").Scan(&n); err != nil {
				return fmt.Errorf("store: read the replication log: %w", err)
			}
			if n > 0 {
				return fmt.Errorf("%w: replication log read to %d of %d", ErrReplicaBehind, pointer, maxIndex+1)
			}
		}
	}
	return rows.Err()
}
