package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
)

// refsTable is the external table VersionTags sends: the article versions
// to read, as (id, tagger_version).
const refsTable = "_sink_refs"

// The raw rows of a set of article versions, one row per entity, dyad and
// cue (LIMIT 1 BY drops unmerged duplicates, as the query API does). The
// time bounds come from the journal's marker rows (the minute of each
// version's event time, which is the raw rows' published_at), so the read
// is pruned to the months and the time range the versions were published
// in. args: from, to.
const (
	tagsEntitiesSQL = `
SELECT toString(article_id), tagger_version, published_at, canonical, toString(type), country
FROM entities
PREWHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)
WHERE (toString(article_id), tagger_version) IN ` + refsTable + `
ORDER BY version DESC
LIMIT 1 BY article_id, tagger_version, idx`
	tagsDyadsSQL = `
SELECT DISTINCT toString(article_id), tagger_version, published_at, pair
FROM dyads
PREWHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)
WHERE (toString(article_id), tagger_version) IN ` + refsTable
	tagsCuesSQL = `
SELECT toString(article_id), tagger_version, published_at, pair, text, category, polarity, actor, target, weight
FROM cues
PREWHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)
WHERE (toString(article_id), tagger_version) IN ` + refsTable + `
ORDER BY version DESC
LIMIT 1 BY article_id, tagger_version, pair, idx`
)

// VersionTags reads the tags of article versions from the raw tables (the
// rows the sink wrote before the journal block that counted them): what a
// block that takes a version out of a view again, or a compensation,
// subtracts from the rollups. A version without entities and cues is
// absent.
func (s *Store) VersionTags(ctx context.Context, refs []journal.VersionAt) (map[journal.VersionRef]*journal.Tags, error) {
	out := map[journal.VersionRef]*journal.Tags{}
	if len(refs) == 0 {
		return out, nil
	}
	t, err := ext.NewTable(refsTable, ext.Column("id", "String"), ext.Column("v", "String"))
	if err != nil {
		return nil, fmt.Errorf("store: external table of versions: %w", err)
	}
	lo, hi := refs[0].At.Unix(), refs[0].At.Unix()
	for _, r := range refs {
		if err := t.Append(r.ID, r.Version); err != nil {
			return nil, fmt.Errorf("store: external table of versions: %w", err)
		}
		lo, hi = min(lo, r.At.Unix()), max(hi, r.At.Unix())
	}
	from, to := time.Unix(lo, 0).Truncate(time.Minute), time.Unix(hi, 0).Truncate(time.Minute).Add(time.Minute)
	tags := func(id, version string, published time.Time) *journal.Tags {
		k := journal.VersionRef{ID: id, Version: version}
		if out[k] == nil {
			out[k] = &journal.Tags{At: published.UTC(), Day: tension.Day.Truncate(published.UTC())}
		}
		return out[k]
	}
	read := func(what, sql string, scan func(rows driver.Rows) error) error {
		rows, err := s.conn.Query(clickhouse.Context(ctx, clickhouse.WithExternalTable(t)), sql, uint32(from.Unix()), uint32(to.Unix()))
		if err != nil {
			return fmt.Errorf("store: read the %s of %d article versions: %w", what, len(refs), err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("store: scan %s: %w", what, err)
			}
		}
		return rows.Err()
	}
	var (
		id, version string
		published   time.Time
	)
	if err := read("entities", tagsEntitiesSQL, func(rows driver.Rows) error {
		var e journal.EntityTag
		if err := rows.Scan(&id, &version, &published, &e.Canonical, &e.Type, &e.Country); err != nil {
			return err
		}
		tg := tags(id, version, published)
		tg.Entities = append(tg.Entities, e)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := read("dyads", tagsDyadsSQL, func(rows driver.Rows) error {
		var pair string
		if err := rows.Scan(&id, &version, &published, &pair); err != nil {
			return err
		}
		tg := tags(id, version, published)
		tg.Pairs = append(tg.Pairs, pair)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := read("cues", tagsCuesSQL, func(rows driver.Rows) error {
		var c journal.CueTag
		if err := rows.Scan(&id, &version, &published, &c.Pair, &c.Text, &c.Category, &c.Polarity, &c.Actor, &c.Target, &c.Weight); err != nil {
			return err
		}
		tg := tags(id, version, published)
		tg.Cues = append(tg.Cues, c)
		return nil
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// WritePointers inserts the batch's pointers into article_versions (see
// journal.Pointer), before its journal block, like the raw rows: a replay
// writes the same rows, which ReplacingMergeTree collapses and readers'
// argMax ignores. Their version is the pointed-to version's precedence, as
// its own rows have. Blocks span at most MaxPartitionsPerBlock months
// (counting each pointer in both months a server's time zone may put it
// in, as the raw inserts do).
func (s *Store) WritePointers(ctx context.Context, ptrs []journal.Pointer) error {
	if len(ptrs) == 0 {
		return nil
	}
	limit, err := s.MaxPartitionsPerBlock(ctx)
	if err != nil {
		return err
	}
	sorted := append([]journal.Pointer(nil), ptrs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].At.Before(sorted[j].At) })
	for len(sorted) > 0 {
		months, n := map[int]bool{}, 0
		for ; n < len(sorted); n++ {
			t := sorted[n].At
			a, b := monthKey(t.Add(-zoneWest)), monthKey(t.Add(zoneEast))
			if limit > 0 && n > 0 && len(months)+btoi(!months[a])+btoi(!months[b] && b != a) > limit {
				break
			}
			months[a], months[b] = true, true
		}
		if err := s.insertPointers(ctx, sorted[:n]); err != nil {
			return err
		}
		sorted = sorted[n:]
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Store) insertPointers(ctx context.Context, ptrs []journal.Pointer) error {
	n := len(ptrs)
	published, ids, versions, precedence := make([]time.Time, n), make([]string, n), make([]string, n), make([]uint64, n)
	for i, p := range ptrs {
		published[i], ids[i], versions[i] = p.At.UTC(), p.ID, p.Version
		precedence[i], _ = event.TaggerPrecedence(p.Version)
	}
	return s.insertColumns(ctx, "article_versions", `INSERT INTO article_versions (published_at, article_id, tagger_version, version)`,
		n, published, ids, versions, precedence)
}
