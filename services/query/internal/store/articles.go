package store

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
)

// Article is a stored article under its newest tagger version, with the
// entities, dyads and cues of that version.
type Article struct {
	ArticleID     uuid.UUID
	TaggerVersion string
	PublishedAt   time.Time
	// PublishedAtSource says where PublishedAt came from when a source
	// follower set it: "feed", "page", or "none" (no date: the receipt
	// time stands in); "" is the sender's own date.
	PublishedAtSource string
	ReceivedAt        time.Time
	EnrichedAt        time.Time
	URL               string
	Source            string
	Title             string
	Text              string
	Lang              string // the language the article was read as ("" before it was recorded)
	Unsupported       bool   // the tagger has no analyser for Lang
	Relevant          bool
	Countries         []string
	Topics            []string
	Pairs             []string
	Entities          []Entity
	Dyads             []Dyad
}

// Entity is one entity mention as stored.
type Entity struct {
	Idx         uint32
	Text        string
	Type        string
	Canonical   string
	Country     string
	StartOffset uint32
	EndOffset   uint32
}

// Dyad is one pair's score in an article, with its cues.
type Dyad struct {
	Pair      string
	Tension   float64
	Direction string
	Weight    float64
	NCues     uint32
	Cues      []Cue
}

// The article row is found by its sort key (article_id first); the child
// tables are narrowed by the article's published_at (their partition and a
// key column) and then by article and tagger version.
const (
	articleSQL = `
SELECT article_id, tagger_version, published_at, received_at, enriched_at, url, source, title, text,
       relevant, countries, topics, pairs, lang, unsupported, published_at_source
FROM articles
WHERE article_id = toUUID(?)
ORDER BY version DESC
LIMIT 1`

	articleEntitiesSQL = `
SELECT idx, text, type, canonical, country, start_offset, end_offset
FROM entities
WHERE published_at = toDateTime(?) AND article_id = toUUID(?) AND tagger_version = ?
ORDER BY idx, version DESC
LIMIT 1 BY idx`

	articleDyadsSQL = `
SELECT pair, tension, direction, weight, n_cues
FROM dyads
WHERE published_at = toDateTime(?) AND article_id = toUUID(?) AND tagger_version = ?
ORDER BY pair, version DESC
LIMIT 1 BY pair`

	articleCuesSQL = `
SELECT pair, idx, text, category, actor, target, polarity, weight,
       hedged, negated, future, background, source, source_type, sentence, start_offset, end_offset
FROM cues
WHERE published_at = toDateTime(?) AND article_id = toUUID(?) AND tagger_version = ?
ORDER BY pair, idx, version DESC
LIMIT 1 BY pair, idx`
)

// Article returns the article with id under its newest tagger version, or
// ErrNotFound.
func (s *Store) Article(ctx context.Context, id uuid.UUID) (*Article, error) {
	var a *Article
	err := s.query(ctx, "article", articleSQL, func(rows driver.Rows) error {
		var x Article
		var relevant, unsupported uint8
		if err := rows.Scan(&x.ArticleID, &x.TaggerVersion, &x.PublishedAt, &x.ReceivedAt, &x.EnrichedAt,
			&x.URL, &x.Source, &x.Title, &x.Text, &relevant, &x.Countries, &x.Topics, &x.Pairs,
			&x.Lang, &unsupported, &x.PublishedAtSource); err != nil {
			return err
		}
		x.Relevant, x.Unsupported = relevant != 0, unsupported != 0
		x.PublishedAt, x.ReceivedAt, x.EnrichedAt = x.PublishedAt.UTC(), x.ReceivedAt.UTC(), x.EnrichedAt.UTC()
		a = &x
		return nil
	}, id.String())
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, ErrNotFound
	}
	args := []any{unix(a.PublishedAt), id.String(), a.TaggerVersion}

	err = s.query(ctx, "article entities", articleEntitiesSQL, func(rows driver.Rows) error {
		var e Entity
		if err := rows.Scan(&e.Idx, &e.Text, &e.Type, &e.Canonical, &e.Country, &e.StartOffset, &e.EndOffset); err != nil {
			return err
		}
		a.Entities = append(a.Entities, e)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}

	at := map[string]int{}
	err = s.query(ctx, "article dyads", articleDyadsSQL, func(rows driver.Rows) error {
		var d Dyad
		if err := rows.Scan(&d.Pair, &d.Tension, &d.Direction, &d.Weight, &d.NCues); err != nil {
			return err
		}
		at[d.Pair] = len(a.Dyads)
		a.Dyads = append(a.Dyads, d)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}

	err = s.query(ctx, "article cues", articleCuesSQL, func(rows driver.Rows) error {
		var c Cue
		if err := scanCue(rows, &c, &c.Pair); err != nil {
			return err
		}
		i, ok := at[c.Pair]
		if !ok { // a cue without its dyad row: show it under a bare dyad
			i = len(a.Dyads)
			at[c.Pair] = i
			a.Dyads = append(a.Dyads, Dyad{Pair: c.Pair})
		}
		a.Dyads[i].Cues = append(a.Dyads[i].Cues, c)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	return a, nil
}
