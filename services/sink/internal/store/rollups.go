package store

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
)

// RollupKey names one rollup row of the journal (kinds 'entity' and 'cue',
// migration 0010): its key holds pair, view and day; Weight is a cue row's
// weight bits.
type RollupKey struct {
	Kind, Key, Pair, View string
	Day                   int64
	Weight                int64
}

// RollupVal is a rollup row's sums.
type RollupVal struct {
	Entries, Articles int64
	Weight            float64
}

// MarkerKey names one marker of the journal: the article, the view, the
// tagger version whose tags the view's rollups hold, the minute of its
// event time.
type MarkerKey struct {
	ID, View, Version string
	Minute            int64
}

// rawCounted restricts a raw table to the rows in [from, to) of the
// article versions the journal counts there (see counted). args: from,
// to, from, to.
const rawCounted = `published_at >= ? AND published_at < ? AND (toString(article_id), tagger_version) IN ` + counted

// The rollups the raw rows of the counted articles imply, computed by SQL
// of their own (not by the sink's code, which they check): per day, pair
// ("*" and each pair the version scores; a cue's own pair) and view (the
// version's own, and "" for each article's current version, the highest
// of its counted versions). An entity counts each article once, under the
// smallest country its mentions carry; a cue has a row per weight, the
// article counted on its strongest.
const (
	rollupViews = `arrayJoin(if(tagger_version = cur, ['', tagger_version], [tagger_version]))`
	rollupDay   = `toDateTime(intDiv(toUInt32(any(published_at)), 86400) * 86400)`
	currentOf   = `(SELECT toString(article_id) AS id, argMax(tagger_version, version) AS cur FROM articles WHERE ` + rawCounted + ` GROUP BY article_id)`

	// args: rawCounted three times
	rawEntityRollupsSQL = `
SELECT 'entity', concat(p, '\x1F', view, '\x1F', toString(toYYYYMMDD(day, 'UTC')), '\x1F', canonical, '\x1F', toString(type), '\x1F', ctry) AS k,
       p, view, day, toInt64(0), toInt64(sum(m)), toInt64(count()), toFloat64(0)
FROM (
    SELECT *, arrayJoin(arrayConcat(['*'], pairs)) AS p, ` + rollupViews + ` AS view
    FROM (
        SELECT * FROM (
            SELECT toString(article_id) AS id, tagger_version, ` + rollupDay + ` AS day, canonical, type, min(country) AS ctry, count() AS m
            FROM (SELECT * FROM entities WHERE ` + rawCounted + ` ORDER BY version DESC LIMIT 1 BY article_id, tagger_version, idx)
            GROUP BY article_id, tagger_version, canonical, type
        ) ANY LEFT JOIN (
            SELECT toString(article_id) AS id, tagger_version, groupUniqArray(pair) AS pairs FROM dyads WHERE ` + rawCounted + `
            GROUP BY article_id, tagger_version
        ) USING (id, tagger_version)
    ) ANY LEFT JOIN ` + currentOf + ` USING (id)
)
GROUP BY p, view, day, canonical, type, ctry`

	// args: rawCounted twice
	rawCueRollupsSQL = `
SELECT 'cue', concat(pair, '\x1F', view, '\x1F', toString(toYYYYMMDD(day, 'UTC')), '\x1F', text, '\x1F', category, '\x1F',
                     toString(polarity), '\x1F', actor, '\x1F', target) AS k,
       pair, view, day, reinterpretAsInt64(reinterpretAsString(wt)), toInt64(sum(n)), toInt64(sum(wt = mx)), sum(w)
FROM (
    SELECT *, wt, ` + rollupViews + ` AS view, countEqual(ws, wt) AS n, arraySum(arrayFilter(x -> x = wt, ws)) AS w
    FROM (
        SELECT *, arrayReduce('max', ws) AS mx FROM (
            SELECT toString(article_id) AS id, tagger_version, pair, ` + rollupDay + ` AS day, text, category, polarity, actor, target,
                   groupArray(weight) AS ws
            FROM (SELECT * FROM cues WHERE ` + rawCounted + ` ORDER BY version DESC LIMIT 1 BY article_id, tagger_version, pair, idx)
            GROUP BY article_id, tagger_version, pair, text, category, polarity, actor, target
        ) ANY LEFT JOIN ` + currentOf + ` USING (id)
    )
    ARRAY JOIN arrayDistinct(ws) AS wt
)
GROUP BY pair, view, day, text, category, polarity, actor, target, wt`

	// rawMarkersSQL: each counted version's marker in its own view, and
	// the current version's in "". args: rawCounted twice
	rawMarkersSQL = `
SELECT id, ` + rollupViews + ` AS view, tagger_version, toStartOfMinute(pub), toInt64(1)
FROM (
    SELECT toString(article_id) AS id, tagger_version, any(published_at) AS pub
    FROM articles WHERE ` + rawCounted + `
    GROUP BY article_id, tagger_version
) ANY LEFT JOIN ` + currentOf + ` USING (id)`
)

// RawRollups recomputes the rollup rows of [from, to) from the raw tables,
// for the article versions the journal counts.
func (s *Store) RawRollups(ctx context.Context, from, to time.Time) (map[RollupKey]RollupVal, error) {
	out := map[RollupKey]RollupVal{}
	c := []any{from, to, from, to}
	if err := s.readRollups(ctx, "recount entities", rawEntityRollupsSQL, out, repeat(c, 3)...); err != nil {
		return nil, err
	}
	if err := s.readRollups(ctx, "recount cues", rawCueRollupsSQL, out, repeat(c, 2)...); err != nil {
		return nil, err
	}
	return out, nil
}

// JournalRollups returns the rollup rows the journal holds for the days in
// [from, to), summed: a row in two views (in_current, migration 0014) in
// each, under its key there (journal.RollupViewKey).
func (s *Store) JournalRollups(ctx context.Context, from, to time.Time) (map[RollupKey]RollupVal, error) {
	rows, err := s.conn.Query(ctx, `SELECT toString(kind), key, pair, tagger_version, in_current, bucket, src_offset,
			sum(entries), sum(articles), sum(sum_weight)
		FROM index_journal
		WHERE kind IN ('entity', 'cue') AND granularity = 'day' AND bucket >= ? AND bucket < ?
		GROUP BY kind, key, pair, tagger_version, in_current, bucket, src_offset`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: read rollups: %w", err)
	}
	defer rows.Close()
	out := map[RollupKey]RollupVal{}
	for rows.Next() {
		var (
			k         RollupKey
			v         RollupVal
			inCurrent uint8
			day       time.Time
		)
		if err := rows.Scan(&k.Kind, &k.Key, &k.Pair, &k.View, &inCurrent, &day, &k.Weight, &v.Entries, &v.Articles, &v.Weight); err != nil {
			return nil, fmt.Errorf("store: scan rollups: %w", err)
		}
		k.Day = day.Unix()
		key := k.Key
		views, n := journal.ViewsOf(k.View, inCurrent == 1)
		for _, view := range views[:n] {
			k.View, k.Key = view, journal.RollupViewKey(key, k.Pair, view)
			addRollup(out, k, v)
		}
	}
	return out, rows.Err()
}

func (s *Store) readRollups(ctx context.Context, what, sql string, out map[RollupKey]RollupVal, args ...any) error {
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k   RollupKey
			v   RollupVal
			day time.Time
		)
		if err := rows.Scan(&k.Kind, &k.Key, &k.Pair, &k.View, &day, &k.Weight, &v.Entries, &v.Articles, &v.Weight); err != nil {
			return fmt.Errorf("store: scan %s: %w", what, err)
		}
		k.Day = day.Unix()
		addRollup(out, k, v)
	}
	return rows.Err()
}

func addRollup(out map[RollupKey]RollupVal, k RollupKey, v RollupVal) {
	cur := out[k]
	cur.Entries += v.Entries
	cur.Articles += v.Articles
	cur.Weight += v.Weight
	out[k] = cur
}

// RawMarkers returns the markers the counted article versions in [from,
// to) imply: each version in its own view, the current one in "".
func (s *Store) RawMarkers(ctx context.Context, from, to time.Time) (map[MarkerKey]int64, error) {
	out := map[MarkerKey]int64{}
	c := []any{from, to, from, to}
	err := s.readMarkers(ctx, "recount markers", rawMarkersSQL, out, repeat(c, 2)...)
	return out, err
}

// JournalMarkers returns the markers the journal holds in [from, to),
// summed (zero sums left out): marker rows, and the markers "*" rows stand
// for (marker, migration 0016).
func (s *Store) JournalMarkers(ctx context.Context, from, to time.Time) (map[MarkerKey]int64, error) {
	out := map[MarkerKey]int64{}
	err := s.readMarkers(ctx, "read markers", `SELECT key, `+rowViews+` AS in_view,
			substring(if(marker != '', marker, pair), 2) AS version, bucket, sum(articles)
		FROM index_journal
		WHERE kind = 'article' AND (startsWith(pair, '@') OR marker != '') AND bucket >= ? AND bucket < ?
		GROUP BY key, in_view, version, bucket HAVING sum(articles) != 0`, out, from, to)
	return out, err
}

// readMarkers adds the markers a query lists (id, view, version, minute,
// count) to out.
func (s *Store) readMarkers(ctx context.Context, what, sql string, out map[MarkerKey]int64, args ...any) error {
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k      MarkerKey
			minute time.Time
			n      int64
		)
		if err := rows.Scan(&k.ID, &k.View, &k.Version, &minute, &n); err != nil {
			return fmt.Errorf("store: scan %s: %w", what, err)
		}
		k.Minute = minute.Unix()
		out[k] += n
	}
	return rows.Err()
}

func repeat(args []any, n int) []any {
	out := make([]any, 0, len(args)*n)
	for range n {
		out = append(out, args...)
	}
	return out
}

// SameRollup reports whether two rollup sums are equal: counts exactly,
// weights up to the order they were added in.
func SameRollup(a, b RollupVal) bool {
	return a.Entries == b.Entries && a.Articles == b.Articles && math.Abs(a.Weight-b.Weight) < 1e-6
}

// RollupRows turns rollup and marker deltas into journal rows, in a fixed
// order (two rebuilds computing the same correction write the same block).
// Marker rows carry no block id: rebuild's corrections belong to no block.
func RollupRows(rollups map[RollupKey]RollupVal, markers map[MarkerKey]int64) []journal.Row {
	rk := make([]RollupKey, 0, len(rollups))
	for k := range rollups {
		rk = append(rk, k)
	}
	sort.Slice(rk, func(i, j int) bool {
		a, b := rk[i], rk[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Weight < b.Weight
	})
	out := make([]journal.Row, 0, len(rollups)+len(markers))
	for _, k := range rk {
		v := rollups[k]
		out = append(out, journal.Row{Kind: k.Kind, Key: k.Key, Granularity: string(tension.Day), Pair: k.Pair,
			TaggerVersion: k.View, Bucket: time.Unix(k.Day, 0).UTC(), SrcOffset: k.Weight, Entries: v.Entries,
			Parts: tension.Parts{Articles: v.Articles, SumWeight: v.Weight}})
	}
	mk := make([]MarkerKey, 0, len(markers))
	for k := range markers {
		mk = append(mk, k)
	}
	sort.Slice(mk, func(i, j int) bool { return fmt.Sprint(mk[i]) < fmt.Sprint(mk[j]) })
	for _, k := range mk {
		n := markers[k]
		out = append(out, journal.Row{Kind: journal.KindArticle, Key: k.ID, Granularity: "none", Pair: journal.VersionMarker(k.Version),
			TaggerVersion: k.View, Bucket: time.Unix(k.Minute, 0).UTC(), Entries: n, Parts: tension.Parts{Articles: n}})
	}
	return out
}
