package store_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// The oracle: the query API's SQL as it was before the reads were made
// fast (commit 45ebb6e), kept verbatim but for the journal's view: a row in
// the current view too (in_current, migration 0014) is in the view asked
// for when its list of views has it, a reading independent of the store's. Every answer of the store must
// equal the oracle's on the same data: TestIntegrationOracle checks it on
// generated data with retagged articles, unmerged duplicates and edge
// times, and `make bench-query` checks it on the 10-million-article
// database before it times anything.
const (
	oracleIndexSQL = `
SELECT bucket, pair,
       sum(articles), sum(dyad_articles), sum(escalating), sum(deescalating),
       sum(mixed), sum(sum_score), sum(sum_weight)
FROM index_journal
WHERE kind = 'bucket' AND key = '' AND granularity = ? AND pair IN (?, '*')
  AND has(if(in_current = 1, [tagger_version, ''], [tagger_version]), ?)
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
GROUP BY bucket, pair
ORDER BY bucket, pair`

	oracleIndexMonthSQL = `
SELECT toDateTime(toStartOfMonth(bucket, 'UTC'), 'UTC') AS month, pair,
       sum(articles), sum(dyad_articles), sum(escalating), sum(deescalating),
       sum(mixed), sum(sum_score), sum(sum_weight)
FROM index_journal
WHERE kind = 'bucket' AND key = '' AND granularity = 'day' AND pair IN (?, '*')
  AND has(if(in_current = 1, [tagger_version, ''], [tagger_version]), ?)
  AND bucket >= toDateTime(?) AND bucket < toDateTime(?)
GROUP BY month, pair
ORDER BY month, pair`

	oracleDriversCurrentSQL = `
SELECT article_id, tagger_version, published_at, tension, direction, weight, n_cues
FROM (
    SELECT article_id, tagger_version, published_at, tension, direction, weight, n_cues
    FROM dyads
    WHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?)
      AND (article_id, tagger_version) IN (
        SELECT article_id, argMax(tagger_version, version)
        FROM articles
        WHERE article_id IN (
            SELECT article_id FROM articles
            WHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)
              AND article_id IN (
                SELECT article_id FROM dyads
                WHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?)))
        GROUP BY article_id)
    ORDER BY article_id, tagger_version, version DESC
    LIMIT 1 BY article_id, tagger_version
)
ORDER BY abs(tension) DESC, published_at DESC, article_id
LIMIT ?, ?`

	oracleDriversVersionSQL = `
SELECT article_id, tagger_version, published_at, tension, direction, weight, n_cues
FROM (
    SELECT article_id, tagger_version, published_at, tension, direction, weight, n_cues
    FROM dyads
    WHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?)
      AND tagger_version = ?
    ORDER BY article_id, tagger_version, version DESC
    LIMIT 1 BY article_id, tagger_version
)
ORDER BY abs(tension) DESC, published_at DESC, article_id
LIMIT ?, ?`

	// oracleCurrentVersionFilter: an article counts under its current
	// version, the highest of all its versions wherever each was published,
	// as the index and the rollups count it (the store reads
	// article_versions in the range, whose pointers, migration 0010, make it
	// the same).
	oracleCurrentVersionFilter = `(article_id, tagger_version) IN (
        SELECT article_id, argMax(tagger_version, version)
        FROM articles
        WHERE article_id IN (SELECT article_id FROM articles WHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)%s)
        GROUP BY article_id)`
	oracleArticlesOnPair = `
          AND article_id IN (
            SELECT article_id FROM dyads
            WHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?))`
	oracleVersionOnPair = `
      AND (article_id, tagger_version) IN (
        SELECT article_id, tagger_version FROM dyads
        WHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?))`
	oracleNamedVersionFilter = `tagger_version = ?`

	oracleEntitiesTopSQL = `
SELECT canonical, type, min(country), uniqExact(article_id) AS n_articles, count() AS n_mentions
FROM (
    SELECT article_id, idx, canonical, type, country
    FROM entities
    WHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)
      AND %s%s
    ORDER BY version DESC
    LIMIT 1 BY article_id, tagger_version, idx
)
GROUP BY canonical, type
ORDER BY n_articles DESC, n_mentions DESC, canonical, type
LIMIT ?, ?`

	oracleCuesTopSQL = `
SELECT text, category, polarity, actor, target,
       count() AS n, uniqExact(article_id) AS n_articles, sum(weight) AS total, max(weight) AS strongest
FROM (
    SELECT article_id, idx, text, category, polarity, actor, target, weight
    FROM cues
    WHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?)
      AND %s
    ORDER BY version DESC
    LIMIT 1 BY article_id, tagger_version, idx
)
GROUP BY text, category, polarity, actor, target
ORDER BY round(total, 6) DESC, n DESC, text, actor, target, category, polarity
LIMIT ?, ?`
)

// oracle runs the old SQL on conn.
type oracle struct{ conn driver.Conn }

func (o oracle) rows(sql string, scan func(driver.Rows) error, args ...any) error {
	rows, err := o.conn.Query(context.Background(), sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Index is the old Store.Index: the pair's and the "*" rows per bucket,
// merged in Go.
func (o oracle) Index(q store.IndexQuery) ([]store.Bucket, error) {
	unix := func(t time.Time) int64 { return t.Unix() }
	sql, args := oracleIndexSQL, []any{string(q.Granularity), q.Pair, q.TaggerVersion, unix(q.From), unix(q.To)}
	if q.ByMonth {
		sql, args = oracleIndexMonthSQL, []any{q.Pair, q.TaggerVersion, unix(q.From), unix(q.To)}
	}
	byStart := map[int64]*store.Bucket{}
	err := o.rows(sql, func(rows driver.Rows) error {
		var (
			start time.Time
			pair  string
			p     tension.Parts
		)
		if err := rows.Scan(&start, &pair, &p.Articles, &p.DyadArticles, &p.Escalating,
			&p.Deescalating, &p.Mixed, &p.SumScore, &p.SumWeight); err != nil {
			return err
		}
		b := byStart[start.Unix()]
		if b == nil {
			b = &store.Bucket{Start: start.UTC()}
			byStart[start.Unix()] = b
		}
		if pair == tension.AllPair {
			b.Parts.Articles = p.Articles
		} else {
			p.Articles = 0
			arts := b.Parts.Articles
			b.Parts = p
			b.Parts.Articles = arts
		}
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	out := make([]store.Bucket, 0, len(byStart))
	for _, b := range byStart {
		if b.Parts.IsZero() {
			continue
		}
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// Drivers is the old ranking query (the page of drivers without their
// cues and titles, which later queries add unchanged).
func (o oracle) Drivers(q store.DriversQuery) ([]store.Driver, error) {
	from, to := q.From.Unix(), q.To.Unix()
	sql, args := oracleDriversCurrentSQL, []any{q.Pair, from, to, from, to, q.Pair, from, to, q.Offset, q.Limit}
	if q.TaggerVersion != "" {
		sql, args = oracleDriversVersionSQL, []any{q.Pair, from, to, q.TaggerVersion, q.Offset, q.Limit}
	}
	var out []store.Driver
	err := o.rows(sql, func(rows driver.Rows) error {
		var d store.Driver
		if err := rows.Scan(&d.ArticleID, &d.TaggerVersion, &d.PublishedAt, &d.Tension, &d.Direction, &d.Weight, &d.NCues); err != nil {
			return err
		}
		d.PublishedAt = d.PublishedAt.UTC()
		out = append(out, d)
		return nil
	}, args...)
	return out, err
}

func (o oracle) TopEntities(q store.TopQuery) ([]store.EntityCount, error) {
	from, to := q.From.Unix(), q.To.Unix()
	withPair := q.Pair != ""
	var sql string
	switch {
	case q.TaggerVersion == "" && withPair:
		sql = fmt.Sprintf(oracleEntitiesTopSQL, fmt.Sprintf(oracleCurrentVersionFilter, oracleArticlesOnPair), oracleVersionOnPair)
	case q.TaggerVersion == "":
		sql = fmt.Sprintf(oracleEntitiesTopSQL, fmt.Sprintf(oracleCurrentVersionFilter, ""), "")
	case withPair:
		sql = fmt.Sprintf(oracleEntitiesTopSQL, oracleNamedVersionFilter, oracleVersionOnPair)
	default:
		sql = fmt.Sprintf(oracleEntitiesTopSQL, oracleNamedVersionFilter, "")
	}
	args := []any{from, to}
	switch {
	case q.TaggerVersion != "":
		args = append(args, q.TaggerVersion)
	case withPair:
		args = append(args, from, to, q.Pair, from, to)
	default:
		args = append(args, from, to)
	}
	if withPair {
		args = append(args, q.Pair, from, to)
	}
	args = append(args, q.Offset, q.Limit)
	out := []store.EntityCount{}
	err := o.rows(sql, func(rows driver.Rows) error {
		var e store.EntityCount
		if err := rows.Scan(&e.Canonical, &e.Type, &e.Country, &e.Articles, &e.Mentions); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	}, args...)
	return out, err
}

func (o oracle) TopCues(q store.TopQuery) ([]store.CueCount, error) {
	from, to := q.From.Unix(), q.To.Unix()
	sql := fmt.Sprintf(oracleCuesTopSQL, fmt.Sprintf(oracleCurrentVersionFilter, oracleArticlesOnPair))
	args := []any{q.Pair, from, to, from, to, q.Pair, from, to}
	if q.TaggerVersion != "" {
		sql = fmt.Sprintf(oracleCuesTopSQL, oracleNamedVersionFilter)
		args = []any{q.Pair, from, to, q.TaggerVersion}
	}
	args = append(args, q.Offset, q.Limit)
	out := []store.CueCount{}
	err := o.rows(sql, func(rows driver.Rows) error {
		var c store.CueCount
		if err := rows.Scan(&c.Text, &c.Category, &c.Polarity, &c.Actor, &c.Target, &c.Count, &c.Articles, &c.TotalWeight, &c.MaxWeight); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, args...)
	return out, err
}

// sameFloat: sums of floats are equal up to the order ClickHouse added
// them in, which is not fixed even for one query run twice (threads merge
// partial sums in any order).
func sameFloat(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func sameParts(a, b tension.Parts) bool {
	return a.Articles == b.Articles && a.DyadArticles == b.DyadArticles && a.Escalating == b.Escalating &&
		a.Deescalating == b.Deescalating && a.Mixed == b.Mixed && sameFloat(a.SumScore, b.SumScore) &&
		sameFloat(a.SumWeight, b.SumWeight)
}

// oracleCase is one question asked of the store and of the oracle.
type oracleCase struct {
	name     string
	index    *store.IndexQuery
	drivers  *store.DriversQuery
	entities *store.TopQuery
	cues     *store.TopQuery
}

// compare asks c of s and of the oracle and returns how the answers
// differ ("" when they are equal), with the number of items compared.
func (c oracleCase) compare(ctx context.Context, s *store.Store, o oracle) (string, int, error) {
	switch {
	case c.index != nil:
		got, err := s.Index(ctx, *c.index)
		if err != nil {
			return "", 0, err
		}
		want, err := o.Index(*c.index)
		if err != nil {
			return "", 0, err
		}
		if len(got) != len(want) {
			return fmt.Sprintf("%d buckets, oracle %d", len(got), len(want)), len(want), nil
		}
		for i := range want {
			if !got[i].Start.Equal(want[i].Start) || !sameParts(got[i].Parts, want[i].Parts) {
				return fmt.Sprintf("bucket %d: %v %+v, oracle %v %+v", i, got[i].Start, got[i].Parts, want[i].Start, want[i].Parts), len(want), nil
			}
		}
		return "", len(want), nil
	case c.drivers != nil:
		got, err := s.Drivers(ctx, *c.drivers)
		if err != nil {
			return "", 0, err
		}
		want, err := o.Drivers(*c.drivers)
		if err != nil {
			return "", 0, err
		}
		if len(got) != len(want) {
			return fmt.Sprintf("%d drivers, oracle %d", len(got), len(want)), len(want), nil
		}
		for i, w := range want {
			g := got[i]
			if g.ArticleID != w.ArticleID || g.TaggerVersion != w.TaggerVersion || !g.PublishedAt.Equal(w.PublishedAt) ||
				g.Tension != w.Tension || g.Direction != w.Direction || g.Weight != w.Weight || g.NCues != w.NCues {
				return fmt.Sprintf("driver %d: %s %s %v %v, oracle %s %s %v %v", i, g.ArticleID, g.TaggerVersion, g.PublishedAt, g.Tension,
					w.ArticleID, w.TaggerVersion, w.PublishedAt, w.Tension), len(want), nil
			}
		}
		return "", len(want), nil
	case c.entities != nil:
		got, err := s.TopEntities(ctx, *c.entities)
		if err != nil {
			return "", 0, err
		}
		want, err := o.TopEntities(*c.entities)
		if err != nil {
			return "", 0, err
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Sprintf("entities\n got %v\nwant %v", got, want), len(want), nil
		}
		return "", len(want), nil
	default:
		got, err := s.TopCues(ctx, *c.cues)
		if err != nil {
			return "", 0, err
		}
		want, err := o.TopCues(*c.cues)
		if err != nil {
			return "", 0, err
		}
		if len(got) != len(want) {
			return fmt.Sprintf("%d cues, oracle %d\n got %v\nwant %v", len(got), len(want), got, want), len(want), nil
		}
		for i, w := range want {
			g := got[i]
			if g.Text != w.Text || g.Category != w.Category || g.Polarity != w.Polarity || g.Actor != w.Actor || g.Target != w.Target ||
				g.Count != w.Count || g.Articles != w.Articles || !sameFloat(g.TotalWeight, w.TotalWeight) || g.MaxWeight != w.MaxWeight {
				return fmt.Sprintf("cue %d: %+v, oracle %+v", i, g, w), len(want), nil
			}
		}
		return "", len(want), nil
	}
}

// oracleFixture writes generated raw rows and journal rows into conn and
// returns the time range they span. The raw rows hold what the read paths
// must get right: articles retagged once or twice (the newest version
// decides the current view, and may drop or change the pair), a version
// published at another time than the first, exact replays and newer
// duplicates in separate parts, articles on bucket edges, ties in the
// ranked lists. The journal holds delta rows of every granularity and view
// over several inserts, some cancelling out, beside article rows.
func oracleFixture(tb testing.TB, conn driver.Conn, seed uint64) (from, to time.Time) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	from = time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC) // the range crosses a month edge
	to = from.Add(72 * time.Hour)
	pairs := []string{"CN-US", "EU-US", "CN-JP"}
	type entity struct{ canonical, typ, country string }
	entityPool := []entity{{"Beijing", "GOV", "CN"}, {"Washington", "GOV", "US"}, {"Brussels", "GOV", "EU"}, {"Tokyo", "GOV", "JP"},
		{"Xi Jinping", "PERSON", "CN"}, {"Reuters", "MEDIA", ""}, {"Xinhua", "MEDIA", "CN"}, {"Huawei", "ORG", "CN"},
		{"Commerce Ministry", "GOV", "CN"}, {"USTR", "GOV", "US"}, {"Nvidia", "ORG", "US"}, {"Analyst", "PERSON", ""}}
	type cue struct{ text, category, actor, target string }
	cuePool := []cue{{"raised tariffs", "tariff", "US", "CN"}, {"raised tariffs", "tariff", "CN", "US"}, {"talks", "talks", "CN", "US"},
		{"sanctions", "sanction", "US", "CN"}, {"truce", "talks", "US", "CN"}, {"export controls", "export", "US", "CN"},
		{"warns", "threat", "EU", "US"}, {"warns", "trade", "EU", "US"}}
	weights := []float64{1, 2, 2.5, 4.4, 8, 0.7}

	const (
		insArticle = chtest.InsertArticles
		insDyad    = chtest.InsertDyads
		insCue     = chtest.InsertCues
		insEntity  = chtest.InsertEntities
	)
	// Rows go into one of three inserts per table (three parts at least);
	// replays and newer duplicates go into a fourth.
	type rows struct{ articles, dyads, cues, entities [][]any }
	var parts [4]rows
	direction := func(t float64) string {
		switch {
		case t > 0.1:
			return "escalation"
		case t < -0.1:
			return "de-escalation"
		case t != 0 && rng.IntN(10) == 0:
			return "mixed"
		}
		return "neutral"
	}
	for n := 0; n < 1500; n++ {
		id := fmt.Sprintf("%08x-%04x-5%03x-8%03x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xfff, rng.Uint32()&0xfff, rng.Uint64()&0xffffffffffff)
		pub := from.Add(time.Duration(rng.Int64N(int64(72 * time.Hour / time.Second)))).Truncate(time.Second)
		switch rng.IntN(20) {
		case 0:
			pub = pub.Truncate(time.Hour) // on an hour edge
		case 1:
			pub = pub.Truncate(24 * time.Hour) // on a day edge
		}
		versions := 1
		if r := rng.IntN(100); r < 20 {
			versions = 2
		} else if r < 25 {
			versions = 3
		}
		for v := 1; v <= versions; v++ {
			tv, ver, vpub := fmt.Sprintf("v%d", v), uint64(v), pub
			if v > 1 && rng.IntN(15) == 0 {
				vpub = pub.Add(time.Duration(rng.IntN(48)-24) * time.Hour) // a version published at another time
			}
			p := &parts[rng.IntN(3)]
			var onPairs []string
			for _, pair := range pairs {
				if rng.IntN(3) == 0 {
					onPairs = append(onPairs, pair)
				}
			}
			if onPairs == nil {
				onPairs = []string{}
			}
			art := []any{id, tv, vpub, vpub, vpub, "https://news.example/" + id, "Example", "title " + id, "text", uint8(1),
				[]string{}, []string{}, onPairs, int32(0), int64(n), ver}
			p.articles = append(p.articles, art)
			var dyads, cues, ents [][]any
			for _, pair := range onPairs {
				t := math.Round((rng.Float64()*2-1)*100) / 100
				ncues := rng.IntN(4)
				dyads = append(dyads, []any{pair, vpub, id, tv, t, direction(t), math.Abs(t) * 10, uint16(ncues), ver})
				for i := 0; i < ncues; i++ {
					c := cuePool[rng.IntN(len(cuePool))]
					pol := int8(1)
					if c.category == "talks" {
						pol = -1
					}
					cues = append(cues, []any{pair, vpub, id, tv, uint16(i), c.text, c.category, int16(0), uint32(0), uint32(len(c.text)),
						c.actor, c.target, pol, weights[rng.IntN(len(weights))], uint8(0), uint8(0), uint8(0), uint8(0), "ministry", "GOV", ver})
				}
			}
			for i := 0; i < rng.IntN(5); i++ {
				e := entityPool[rng.IntN(len(entityPool))]
				ents = append(ents, []any{vpub, id, tv, uint16(i), e.canonical, e.typ, e.canonical, e.country, uint32(0), uint32(1), ver})
			}
			p.dyads = append(p.dyads, dyads...)
			p.cues = append(p.cues, cues...)
			p.entities = append(p.entities, ents...)
			switch rng.IntN(10) {
			case 0: // an exact replay
				parts[3].articles = append(parts[3].articles, art)
				parts[3].dyads = append(parts[3].dyads, dyads...)
				parts[3].cues = append(parts[3].cues, cues...)
				parts[3].entities = append(parts[3].entities, ents...)
			case 1: // a newer duplicate of the same tagger version
				newer := func(r []any, at int) []any {
					c := append([]any(nil), r...)
					c[at] = ver + 10
					return c
				}
				parts[3].articles = append(parts[3].articles, newer(art, 15))
				for _, d := range dyads {
					parts[3].dyads = append(parts[3].dyads, newer(d, 8))
				}
				for _, c := range cues {
					parts[3].cues = append(parts[3].cues, newer(c, 20))
				}
				for _, e := range ents {
					parts[3].entities = append(parts[3].entities, newer(e, 10))
				}
			}
		}
	}
	insert := func(sql string, rows [][]any) {
		if len(rows) > 0 {
			chtest.Insert(tb, conn, sql, rows...)
		}
	}
	for _, p := range parts {
		insert(insArticle, p.articles)
		insert(insDyad, p.dyads)
		insert(insCue, p.cues)
		insert(insEntity, p.entities)
	}

	// Journal: bucket deltas of every granularity and two views over four
	// inserts, in both forms (a row per view, and one row under v1 for
	// both: in_current); every fifth delta is cancelled by a later one, so
	// some buckets sum to nothing; article rows beside them must not count.
	const insJournal = `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket,
		entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight, in_current)`
	var journal [4][][]any
	for _, g := range []tension.Granularity{tension.Minute, tension.Hour, tension.Day} {
		step := g.Duration()
		for b := from.Add(-step); b.Before(to.Add(step)); b = b.Add(step) {
			if g == tension.Minute && rng.IntN(8) != 0 {
				continue // minutes are sparse
			}
			for _, view := range []string{"", "v1", "both"} {
				for _, pair := range append([]string{"*"}, pairs...) {
					if rng.IntN(3) == 0 {
						continue
					}
					version, inCurrent := view, uint8(0)
					if view == "both" {
						version, inCurrent = "v1", 1
					}
					row := []any{"bucket", "", string(g), pair, version, b, int64(1), int64(0), int64(0), int64(0), int64(0), int64(0), 0.0, 0.0, inCurrent}
					if pair == "*" {
						row[7] = rng.Int64N(50)
					} else {
						d := rng.Int64N(20)
						e := rng.Int64N(d + 1)
						row[8], row[9], row[10], row[11] = d, e, d-e, rng.Int64N(2)
						row[12], row[13] = (rng.Float64()*2-1)*float64(d), rng.Float64()*float64(d)*5
					}
					k := rng.IntN(3)
					journal[k] = append(journal[k], row)
					if rng.IntN(5) == 0 { // cancelled later
						neg := append([]any(nil), row...)
						for i := 7; i <= 11; i++ {
							neg[i] = -neg[i].(int64)
						}
						neg[12], neg[13] = -neg[12].(float64), -neg[13].(float64)
						journal[3] = append(journal[3], neg)
					}
				}
			}
		}
	}
	journal[0] = append(journal[0], []any{"article", "00000000-0000-5000-8000-000000000001", "none", "CN-US", "", from, int64(1),
		int64(1), int64(1), int64(1), int64(0), int64(0), 0.5, 5.0, uint8(0)})
	for _, rows := range journal {
		insert(insJournal, rows)
	}
	// The pointers a sink writes into article_versions, as migration 0010
	// writes them for rows stored before it.
	for _, sql := range append(migrationInserts(tb, "0010", "article_versions"), chtest.RollupSQL(time.Unix(0, 0), time.Unix(1<<32-1, 0))...) {
		if err := conn.Exec(context.Background(), sql); err != nil {
			tb.Fatal(err)
		}
	}
	return from, to
}

// oracleCases are the questions asked on the fixture of [from, to): whole
// and partial ranges at second precision, every view, pairs present and
// absent, pages.
func oracleCases(rng *rand.Rand, from, to time.Time) []oracleCase {
	span := to.Sub(from)
	ranges := [][2]time.Time{{from.Add(-time.Hour), to.Add(time.Hour)}, {from, from}, {from.Add(24 * time.Hour), from.Add(48 * time.Hour)}}
	for i := 0; i < 3; i++ {
		a := from.Add(time.Duration(rng.Int64N(int64(span/time.Second))) * time.Second)
		b := a.Add(time.Duration(rng.Int64N(int64(span/time.Second))) * time.Second)
		ranges = append(ranges, [2]time.Time{a, b})
	}
	var out []oracleCase
	for i, r := range ranges {
		for _, view := range []string{"", "v1", "v2", "nope"} {
			for _, pair := range []string{"CN-US", "EU-US", "AU-NZ"} {
				for _, g := range []tension.Granularity{tension.Minute, tension.Hour, tension.Day} {
					out = append(out, oracleCase{name: fmt.Sprintf("index %s %s %q %v-%v", g, pair, view, r[0], r[1]),
						index: &store.IndexQuery{Pair: pair, Granularity: g, TaggerVersion: view, From: r[0], To: r[1]}})
				}
				out = append(out, oracleCase{name: fmt.Sprintf("index month %s %q %v-%v", pair, view, r[0], r[1]),
					index: &store.IndexQuery{Pair: pair, Granularity: tension.Day, ByMonth: true, TaggerVersion: view, From: r[0], To: r[1]}})
				page := [2]int{1000, 0}
				if i == 0 && pair == "CN-US" {
					page = [2]int{7, 3}
				}
				out = append(out,
					oracleCase{name: fmt.Sprintf("drivers %s %q %v-%v %v", pair, view, r[0], r[1], page),
						drivers: &store.DriversQuery{Pair: pair, TaggerVersion: view, From: r[0], To: r[1], Limit: page[0], Offset: page[1]}},
					oracleCase{name: fmt.Sprintf("entities %s %q %v-%v %v", pair, view, r[0], r[1], page),
						entities: &store.TopQuery{Pair: pair, TaggerVersion: view, From: r[0], To: r[1], Limit: page[0], Offset: page[1]}},
					oracleCase{name: fmt.Sprintf("cues %s %q %v-%v %v", pair, view, r[0], r[1], page),
						cues: &store.TopQuery{Pair: pair, TaggerVersion: view, From: r[0], To: r[1], Limit: page[0], Offset: page[1]}})
			}
			out = append(out, oracleCase{name: fmt.Sprintf("entities all %q %v-%v", view, r[0], r[1]),
				entities: &store.TopQuery{TaggerVersion: view, From: r[0], To: r[1], Limit: 1000}})
		}
	}
	return out
}

// currentView keeps the cases that read article_versions: the current
// view's drivers and ranked lists.
func currentView(cases []oracleCase) []oracleCase {
	var out []oracleCase
	for _, c := range cases {
		if (c.drivers != nil && c.drivers.TaggerVersion == "") || (c.entities != nil && c.entities.TaggerVersion == "") ||
			(c.cues != nil && c.cues.TaggerVersion == "") {
			out = append(out, c)
		}
	}
	return out
}

func checkOracle(t *testing.T, s *store.Store, o oracle, cases []oracleCase) (items int) {
	t.Helper()
	for _, c := range cases {
		diff, n, err := c.compare(context.Background(), s, o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff != "" {
			t.Fatalf("%s: %s", c.name, diff)
		}
		items += n
	}
	return items
}

// TestIntegrationOracle: every read of the store answers what the old SQL
// answers on the same generated data, including data the migration that
// added article_versions copied (run twice, as after a crash).
func TestIntegrationOracle(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_query")
	from, to := oracleFixture(t, conn, 1)
	s := store.New(conn, 30*time.Second)
	o := oracle{conn}
	cases := oracleCases(rand.New(rand.NewPCG(3, 4)), from, to)
	items := checkOracle(t, s, o, cases)
	if items < 5_000 {
		t.Fatalf("the cases compared only %d items: the fixture does not exercise the reads", items)
	}
	t.Logf("%d cases, %d buckets, drivers, entities and cues equal to the oracle's", len(cases), items)

	// article_versions as the migration fills it for rows stored before it:
	// empty it (the current view's answers must then differ: the cases do
	// read it), run its copy statements twice (a re-run after a crash writes
	// duplicates) and compare again.
	ctx := context.Background()
	if err := conn.Exec(ctx, "TRUNCATE TABLE article_versions"); err != nil {
		t.Fatal(err)
	}
	current, differ := currentView(cases), 0
	for _, c := range current {
		if diff, _, err := c.compare(ctx, s, o); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		} else if diff != "" {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("with article_versions empty every answer still equals the oracle's: the cases do not read it")
	}
	for run := 0; run < 2; run++ {
		for _, stmt := range append(migrationCopies(t, "article_versions"), migrationInserts(t, "0010", "article_versions")...) {
			if err := conn.Exec(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
	}
	checkOracle(t, s, o, current)
}

// migrationCopies returns the INSERT statements of the migration that
// creates table.
func migrationCopies(t *testing.T, table string) []string {
	t.Helper()
	migs, err := chstore.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migs {
		var copies []string
		creates := false
		for _, s := range m.Statements {
			creates = creates || strings.HasPrefix(s, "CREATE TABLE IF NOT EXISTS "+table+" ")
			if strings.HasPrefix(s, "INSERT INTO "+table+" ") {
				copies = append(copies, s)
			}
		}
		if creates {
			if len(copies) == 0 {
				t.Fatalf("%s creates %s but copies nothing into it", m.Name, table)
			}
			return copies
		}
	}
	t.Fatalf("no migration creates %s", table)
	return nil
}

// migrationInserts returns the INSERT statements into table of the
// migration whose file name starts with prefix.
func migrationInserts(tb testing.TB, prefix, table string) []string {
	tb.Helper()
	migs, err := chstore.Migrations()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, m := range migs {
		if !strings.HasPrefix(m.Name, prefix) {
			continue
		}
		for _, s := range m.Statements {
			if strings.HasPrefix(s, "INSERT INTO "+table+" ") {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no migration %s* inserts into %s", prefix, table)
	}
	return out
}
