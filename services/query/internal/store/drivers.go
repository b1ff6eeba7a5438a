package store

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
)

// DriversQuery selects the articles that moved a pair most in a range.
type DriversQuery struct {
	Pair          string
	TaggerVersion string // "" is the current view: each article's newest tagger version
	Lang          string // "" or a lower-case language tag: only articles read as it (langFilter)
	From, To      time.Time
	Limit         int
	Offset        int // drivers skipped, for paging
}

// Driver is one article's score on the pair, with what explains it.
type Driver struct {
	ArticleID     uuid.UUID
	TaggerVersion string
	PublishedAt   time.Time
	// PublishedAtSource: "feed", "page", "none" (the receipt time stands
	// in) from a source follower; "" the sender's own date (Article).
	PublishedAtSource string
	Title             string
	URL               string
	Source            string
	Lang              string // the language the article was read as
	Unsupported       bool   // the tagger has no analyser for Lang
	Tension           float64
	Direction         string
	Weight            float64
	NCues             uint32
	Cues              []Cue
}

// Cue is one stance cue as stored in the cues table.
type Cue struct {
	Pair        string
	Idx         uint32
	Text        string
	Category    string
	Actor       string
	Target      string
	Polarity    int8
	Weight      float64
	Hedged      bool
	Negated     bool
	Future      bool
	Background  bool
	Source      string
	SourceType  string
	Sentence    int32
	StartOffset uint32
	EndOffset   uint32
	// Context is the cue's sentence cut around it, when the offsets
	// match the stored article text (drivers only).
	Context *CueContext
}

// CueContext is a cue's sentence split at the cue: Before + Match + After.
type CueContext struct {
	Before, Match, After string
}

// driversCurrentSQL ranks the pair's dyad rows in range by |tension|. The
// current view keeps, per article, the tagger version of its newest
// enrichment (argMax by version), read from article_versions: the same
// rows as articles' but sorted by published_at, so the range is read, not
// every article of its months (migration 0007); LIMIT 1 BY drops duplicates
// that ReplacingMergeTree has not merged yet, newest version first.
const driversCurrentSQL = `
SELECT article_id, tagger_version, published_at, tension, direction, weight, n_cues
FROM (
    SELECT article_id, tagger_version, published_at, tension, direction, weight, n_cues
    FROM dyads
    WHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?)/*lang*/
      AND (article_id, tagger_version) IN (
        SELECT article_id, argMax(tagger_version, version)
        FROM article_versions
        WHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)
          AND article_id IN (
            SELECT article_id FROM dyads
            WHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?))
        GROUP BY article_id)
    ORDER BY article_id, tagger_version, version DESC
    LIMIT 1 BY article_id, tagger_version
)
ORDER BY abs(tension) DESC, published_at DESC, article_id
LIMIT ?, ?`

// driversVersionSQL is the same for one named tagger version.
const driversVersionSQL = `
SELECT article_id, tagger_version, published_at, tension, direction, weight, n_cues
FROM (
    SELECT article_id, tagger_version, published_at, tension, direction, weight, n_cues
    FROM dyads
    WHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?)/*lang*/
      AND tagger_version = ?
    ORDER BY article_id, tagger_version, version DESC
    LIMIT 1 BY article_id, tagger_version
)
ORDER BY abs(tension) DESC, published_at DESC, article_id
LIMIT ?, ?`

// driverArticlesSQL fetches title, url and source of the drivers, newest
// enrichment first, and of their text only the windows around their cues
// (see windows): a page of drivers over 1 MB articles moves a few hundred
// bytes per cue, not a megabyte per article. The conditions are PREWHERE:
// articles is sorted by id, so each of the page's ids lands in a granule of
// 8,192 other articles, and without PREWHERE ClickHouse (18.16 does not
// move an IN with a subquery there by itself) read and decompressed the
// text of all of them: 15 MB for a page of 20 in the benchmark's short
// texts, 1.5 MB with it (and a fraction of the CPU). The ids are bound as one
// Array(String) parameter and turned into a UUID set in a subquery, which
// 18.16 and 25.x both accept; each article's windows are the element of the
// bound arrays at its id's position (no lambda filters their arrays: 18.16
// loses captured columns there). `length(text) >= 0` is always true: 18.16
// reads a column a lambda captures only when the query names it elsewhere.
const driverArticlesSQL = `
SELECT article_id, title, url, source, lang, unsupported, published_at_source,
       arrayMap((lo, n) -> substring(text, lo + 1, n),
                arrayElement(CAST(? AS Array(Array(UInt64))), indexOf(CAST(? AS Array(String)), toString(article_id))),
                arrayElement(CAST(? AS Array(Array(UInt64))), indexOf(CAST(? AS Array(String)), toString(article_id))))
FROM articles
PREWHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)
  AND article_id IN (SELECT toUUID(arrayJoin(?)))
WHERE length(text) >= 0
ORDER BY article_id, version DESC
LIMIT 1 BY article_id`

// driverCuesSQL fetches the drivers' cues on the pair, every tagger version
// of those articles; the caller keeps the driver's own version. PREWHERE:
// the cue columns are read only where the ids are (see driverArticlesSQL).
const driverCuesSQL = `
SELECT article_id, tagger_version, idx, text, category, actor, target, polarity, weight,
       hedged, negated, future, background, source, source_type, sentence, start_offset, end_offset
FROM cues
PREWHERE pair = ? AND published_at >= toDateTime(?) AND published_at < toDateTime(?)
  AND article_id IN (SELECT toUUID(arrayJoin(?)))
ORDER BY article_id, tagger_version, idx, version DESC
LIMIT 1 BY article_id, tagger_version, idx`

// Drivers returns up to q.Limit articles on q.Pair in [q.From, q.To) with
// the largest |tension| (ties: newest first), each with its title, URL,
// source and cues, and each cue with its sentence around it. Three
// queries, whatever the limit; no article text is read beyond the cues'
// windows.
func (s *Store) Drivers(ctx context.Context, q DriversQuery) ([]Driver, error) {
	out, err := s.rankDrivers(ctx, q)
	if err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]string, len(out))
	at := make(map[uuid.UUID]int, len(out))
	for i, d := range out {
		ids[i] = d.ArticleID.String()
		at[d.ArticleID] = i
	}
	if err := s.driverCues(ctx, q, out, at, ids); err != nil {
		return nil, err
	}
	if err := s.driverArticles(ctx, q, out, at, ids); err != nil {
		return nil, err
	}
	return out, nil
}

// rankDrivers runs the ranking: the page of drivers without their texts.
func (s *Store) rankDrivers(ctx context.Context, q DriversQuery) ([]Driver, error) {
	from, to := unix(q.From), unix(q.To)
	sql, args := driversCurrentSQL, []any{q.Pair, from, to, from, to, q.Pair, from, to, q.Offset, q.Limit}
	if q.TaggerVersion != "" {
		sql, args = driversVersionSQL, []any{q.Pair, from, to, q.TaggerVersion, q.Offset, q.Limit}
	}
	sql, args = withLang(sql, args, 3, q.Lang, q.From, q.To)
	var out []Driver
	err := s.query(ctx, "drivers", sql, func(rows driver.Rows) error {
		var d Driver
		if err := rows.Scan(&d.ArticleID, &d.TaggerVersion, &d.PublishedAt, &d.Tension, &d.Direction, &d.Weight, &d.NCues); err != nil {
			return err
		}
		d.PublishedAt = d.PublishedAt.UTC()
		out = append(out, d)
		return nil
	}, args...)
	return out, err
}

// driverCues adds each driver's cues on the pair (its own tagger version).
func (s *Store) driverCues(ctx context.Context, q DriversQuery, out []Driver, at map[uuid.UUID]int, ids []string) error {
	return s.query(ctx, "driver cues", driverCuesSQL, func(rows driver.Rows) error {
		var (
			id      uuid.UUID
			version string
			c       Cue
		)
		if err := scanCue(rows, &c, &id, &version); err != nil {
			return err
		}
		if i, ok := at[id]; ok && out[i].TaggerVersion == version {
			c.Pair = q.Pair
			out[i].Cues = append(out[i].Cues, c)
		}
		return nil
	}, q.Pair, unix(q.From), unix(q.To), ids)
}

// driverArticles adds title, URL and source, and the cues' contexts from
// their windows of the text (a cue in the title is cut from the title).
func (s *Store) driverArticles(ctx context.Context, q DriversQuery, out []Driver, at map[uuid.UUID]int, ids []string) error {
	starts, lens := make([][]uint64, len(out)), make([][]uint64, len(out))
	for i, d := range out {
		starts[i], lens[i] = windows(d.Cues)
	}
	return s.query(ctx, "driver articles", driverArticlesSQL, func(rows driver.Rows) error {
		var (
			id                 uuid.UUID
			title, url, source string
			lang, dateSource   string
			unsupported        uint8
			snippets           []string
		)
		if err := rows.Scan(&id, &title, &url, &source, &lang, &unsupported, &dateSource, &snippets); err != nil {
			return err
		}
		i, ok := at[id]
		if !ok {
			return nil
		}
		d := &out[i]
		d.Title, d.URL, d.Source = title, url, source
		d.Lang, d.Unsupported, d.PublishedAtSource = lang, unsupported != 0, dateSource
		k := 0
		for j := range d.Cues {
			c := &d.Cues[j]
			if c.Sentence < 0 {
				c.Context = cueContext(d.Title, c.Text, int(c.StartOffset), int(c.EndOffset))
				continue
			}
			if k < len(snippets) {
				lo := int(starts[i][k])
				c.Context = cueContext(snippets[k], c.Text, int(c.StartOffset)-lo, int(c.EndOffset)-lo)
			}
			k++
		}
		return nil
	}, starts, ids, lens, ids, unix(q.From), unix(q.To), ids)
}

// windows are the byte ranges of the text that cueContext can look at for
// each cue in the text (not the title): maxContext bytes either side, and
// utf8.UTFMax more after, where cueContext checks for a rune boundary.
// They are returned as 0-based starts and lengths, in cue order.
func windows(cues []Cue) (starts, lens []uint64) {
	starts, lens = []uint64{}, []uint64{}
	for _, c := range cues {
		if c.Sentence < 0 {
			continue
		}
		lo := max(int(c.StartOffset)-maxContext, 0)
		hi := int(c.EndOffset) + maxContext + utf8.UTFMax
		starts = append(starts, uint64(lo))
		lens = append(lens, uint64(max(hi-lo, 0)))
	}
	return starts, lens
}

// scanCue reads a cue row: the prefix columns, then idx through
// end_offset in the order of driverCuesSQL.
func scanCue(rows driver.Rows, c *Cue, prefix ...any) error {
	var hedged, negated, future, background uint8
	dest := append(prefix, &c.Idx, &c.Text, &c.Category, &c.Actor, &c.Target, &c.Polarity, &c.Weight,
		&hedged, &negated, &future, &background, &c.Source, &c.SourceType, &c.Sentence, &c.StartOffset, &c.EndOffset)
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	c.Hedged, c.Negated, c.Future, c.Background = hedged != 0, negated != 0, future != 0, background != 0
	return nil
}

// maxContext bounds each side of a cue context, in bytes.
const maxContext = 240

// cueContext cuts text around the cue at byte offsets [start, end): back to
// the start of its sentence and on to its end (., !, ? or a line break),
// at most maxContext bytes each side, on rune boundaries. Nil when the
// offsets do not fit the text or do not hold the cue's text.
func cueContext(text, cue string, start, end int) *CueContext {
	if start < 0 || end <= start || end > len(text) || !utf8.RuneStart(text[start]) ||
		(end < len(text) && !utf8.RuneStart(text[end])) || !strings.EqualFold(text[start:end], cue) {
		return nil
	}
	lo := start
	for lo > 0 && start-lo < maxContext {
		c := text[lo-1]
		if c == '\n' || ((c == '.' || c == '!' || c == '?') && lo < len(text) && text[lo] == ' ') {
			break
		}
		lo--
	}
	for lo < start && !utf8.RuneStart(text[lo]) {
		lo++
	}
	hi := end
	for hi < len(text) && hi-end < maxContext {
		c := text[hi]
		hi++
		if c == '\n' || c == '.' || c == '!' || c == '?' {
			break
		}
	}
	for hi > end && hi < len(text) && !utf8.RuneStart(text[hi]) {
		hi--
	}
	return &CueContext{
		Before: strings.TrimLeft(text[lo:start], " \t\n"),
		Match:  text[start:end],
		After:  strings.TrimRight(text[end:hi], " \t\n"),
	}
}
