package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/pkg/tension"
)

// The split's cells (docs/views.md) are recomputed from the raw rows the
// way the sink derives them from a record (journal.Contributions): per
// article version its language cell of "*", and per dyad the cell
// tension.DyadCell picks from the dyad's stored cues, under the pair's
// CellPair in BucketKey.Pair, so rebuild compares and corrects them as it
// does the pairs. The cues table holds exactly the record's cues (the ones
// the sink saw), and articles.lang the record's lang (migration 0009; rows
// stored before it read "", which counts as "und").

// cellArticle is one counted article version as the raw tables hold it.
type cellArticle struct {
	lang   string
	minute time.Time
	dyads  map[string]*rawDyad
}

// rawDyad is a stored dyad: its cues and the total weight the index counts
// (the weight column: every cue found, also those cut from the record).
// The raw tables are read without FINAL (which merges every part of a
// month's partition, slow while sinks add parts): of rows with the same
// key the one with the highest row version counts, as FINAL would keep.
type rawDyad struct {
	event.Dyad
	weight     float64
	rowVersion uint64
	cues       map[uint32]rawCue // by idx
}

type rawCue struct {
	event.Cue
	rowVersion uint64
}

// rawCellMinutes adds the minute parts of every cell in [from, to) to out,
// a calendar month at a time: the raw tables are partitioned by month, and
// their FINAL reads merge a whole partition whatever part of it is asked
// for (a day at a time made a rebuild of two weeks read its month 14 times
// over, too slow to finish beside writing sinks on the cluster); memory
// grows with a month's articles, not with the range. An article's current
// version is its highest counted one in the whole range (a re-sent article
// may have moved to another month): read first for the articles counted
// under several versions, the others have one.
func (s *Store) rawCellMinutes(ctx context.Context, from, to time.Time, add func(pair, version string, minute time.Time, p tension.Parts)) error {
	current, err := s.currentOfRecounted(ctx, from, to)
	if err != nil {
		return err
	}
	for start := from; start.Before(to); {
		y, m, _ := start.UTC().Date()
		end := time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
		if end.After(to) {
			end = to
		}
		arts, err := s.cellArticles(ctx, start, end)
		start = end
		if err != nil {
			return err
		}
		for k, a := range arts {
			views := []string{k.version}
			if cur, ok := current[k.id]; !ok || cur == k.version {
				views = append(views, "")
			}
			lang := tension.NormLang(a.lang)
			for _, view := range views {
				add(tension.CellPair(tension.AllPair, tension.Cell{Lang: lang}), view, a.minute, tension.Parts{Articles: 1})
				for _, d := range a.dyads {
					add(tension.CellPair(d.Pair, tension.DyadCell(d.Dyad, lang, tagger.IsStateMedia)), view, a.minute, tension.DyadParts(d.Direction, d.Tension, d.weight))
				}
			}
		}
	}
	return nil
}

type articleVersion struct{ id, version string }

// currentOfRecounted maps each article the journal counts under more than
// one tagger version in [from, to) to its current one: the version of its
// highest row version (argMax, as RawMinutes and the readers choose).
func (s *Store) currentOfRecounted(ctx context.Context, from, to time.Time) (map[string]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT toString(article_id), argMax(tagger_version, version)
		FROM articles WHERE published_at >= ? AND published_at < ? AND (toString(article_id), tagger_version) IN `+counted+`
		GROUP BY article_id HAVING uniqExact(tagger_version) > 1`, from, to, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: recount cells: current versions: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, version string
		if err := rows.Scan(&id, &version); err != nil {
			return nil, fmt.Errorf("store: recount cells: scan current version: %w", err)
		}
		out[id] = version
	}
	return out, rows.Err()
}

// cellArticles reads the counted article versions of [from, to) with their
// dyads and the dyads' cues.
func (s *Store) cellArticles(ctx context.Context, from, to time.Time) (map[articleVersion]*cellArticle, error) {
	out := map[articleVersion]*cellArticle{}
	rows, err := s.conn.Query(ctx, `SELECT toString(article_id), tagger_version, argMax(lang, version),
			toStartOfMinute(argMax(published_at, version))
		FROM articles WHERE published_at >= ? AND published_at < ? AND (toString(article_id), tagger_version) IN `+counted+`
		GROUP BY article_id, tagger_version`, from, to, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: recount cells: articles: %w", err)
	}
	for rows.Next() {
		var k articleVersion
		a := &cellArticle{dyads: map[string]*rawDyad{}}
		if err := rows.Scan(&k.id, &k.version, &a.lang, &a.minute); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: recount cells: scan article: %w", err)
		}
		a.minute = a.minute.UTC()
		out[k] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.conn.Query(ctx, `SELECT toString(article_id), tagger_version, pair, direction, tension, weight, version
		FROM dyads WHERE published_at >= ? AND published_at < ? AND (toString(article_id), tagger_version) IN `+counted,
		from, to, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: recount cells: dyads: %w", err)
	}
	for rows.Next() {
		var k articleVersion
		d := &rawDyad{cues: map[uint32]rawCue{}}
		if err := rows.Scan(&k.id, &k.version, &d.Pair, &d.Direction, &d.Tension, &d.weight, &d.rowVersion); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: recount cells: scan dyad: %w", err)
		}
		a := out[k]
		if a == nil {
			continue
		}
		if old := a.dyads[d.Pair]; old == nil || d.rowVersion > old.rowVersion {
			a.dyads[d.Pair] = d
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.conn.Query(ctx, `SELECT toString(article_id), tagger_version, pair, idx, actor, weight, source, source_type, version
		FROM cues WHERE published_at >= ? AND published_at < ? AND (toString(article_id), tagger_version) IN `+counted,
		from, to, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: recount cells: cues: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k    articleVersion
			pair string
			idx  uint32
			c    rawCue
		)
		if err := rows.Scan(&k.id, &k.version, &pair, &idx, &c.Actor, &c.Weight, &c.Source, &c.SourceType, &c.rowVersion); err != nil {
			return nil, fmt.Errorf("store: recount cells: scan cue: %w", err)
		}
		a := out[k]
		if a == nil || a.dyads[pair] == nil {
			continue
		}
		if old, ok := a.dyads[pair].cues[idx]; !ok || c.rowVersion > old.rowVersion {
			a.dyads[pair].cues[idx] = c
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, a := range out {
		for _, d := range a.dyads {
			d.Cues = cuesInOrder(d.cues)
		}
	}
	return out, nil
}

// cuesInOrder lists a dyad's cues by idx, the record's order.
func cuesInOrder(byIdx map[uint32]rawCue) []event.Cue {
	idxs := make([]uint32, 0, len(byIdx))
	for i := range byIdx {
		idxs = append(idxs, i)
	}
	slices.Sort(idxs)
	out := make([]event.Cue, len(idxs))
	for i, idx := range idxs {
		out[i] = byIdx[idx].Cue
	}
	return out
}
