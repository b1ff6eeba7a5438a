package event

import (
	"time"
)

// Topic names (docs/design.md §3). Versioned: an incompatible change gets a new topic.
const (
	TopicRaw      = "articles.raw.v1"
	TopicEnriched = "articles.enriched.v1"
	TopicDLQ      = "articles.dlq.v1"
	TopicIndex    = "tension.index.v1"
	// TopicIndexCells carries the index split's cells when a sink
	// publishes them (opt-in): schemas/index-cell.v1.json.
	TopicIndexCells = "tension.index.cells.v1"
)

// Article is the message on articles.raw.v1 (schemas/article.v1.json).
// ArticleID is assigned by ingest and is stable: the same URL (or, without a
// URL, the same text) always gets the same id, so a re-sent article is the
// same article downstream.
type Article struct {
	ArticleID   string    `json:"article_id"`
	ID          string    `json:"id,omitempty"` // the sender's own id, echoed back
	URL         string    `json:"url,omitempty"`
	Source      string    `json:"source,omitempty"`
	Title       string    `json:"title,omitempty"`
	Text        string    `json:"text"`
	Lang        string    `json:"lang,omitempty"`
	PublishedAt time.Time `json:"published_at"`
	// PublishedAtSource says where PublishedAt came from when a source
	// follower set it (PublishedAtFromFeed, PublishedAtFromPage), or that
	// neither the feed nor the page gave a date (PublishedAtNone: the
	// receipt time counts). Optional: "" is the sender's own published_at,
	// or none, as before the field existed.
	PublishedAtSource string    `json:"published_at_source,omitempty"`
	ReceivedAt        time.Time `json:"received_at"`
}

// Submission is an article as a client sends it (POST /v1/articles,
// schemas/article.v1.json): what DecodeArticle admits. Go senders (the
// source follower, tests) build one rather than a copy of the fields.
type Submission struct {
	ID                string `json:"id,omitempty"`
	URL               string `json:"url,omitempty"`
	Source            string `json:"source,omitempty"`
	Title             string `json:"title,omitempty"`
	Text              string `json:"text"`
	Lang              string `json:"lang,omitempty"`
	PublishedAt       string `json:"published_at,omitempty"`
	PublishedAtSource string `json:"published_at_source,omitempty"`
}

// Values of published_at_source.
const (
	PublishedAtFromFeed = "feed"
	PublishedAtFromPage = "page"
	PublishedAtNone     = "none"
)

// EventTime is the time the article is counted under in the index: when it
// was published, or when it arrived if the sender did not say.
func (a *Article) EventTime() time.Time {
	if a.PublishedAt.IsZero() {
		return a.ReceivedAt
	}
	return a.PublishedAt
}

// EventTime is the time the enriched article is counted under: published_at,
// or received_at when it has none (the enricher fills published_at with the
// article's EventTime; this is for records written before it did).
func (e *Enriched) EventTime() time.Time {
	if e.PublishedAt.IsZero() {
		return e.ReceivedAt.UTC()
	}
	return e.PublishedAt.UTC()
}

// Enriched is the message on articles.enriched.v1 (schemas/enriched.v1.json):
// the article with its tags. It carries the text so the sink can store the
// article and reprocessing can re-tag it from ClickHouse alone.
type Enriched struct {
	ArticleID     string    `json:"article_id"`
	EventID       string    `json:"event_id"` // UUIDv7, unique per enrichment
	URL           string    `json:"url,omitempty"`
	Source        string    `json:"source,omitempty"`
	Title         string    `json:"title,omitempty"`
	Text          string    `json:"text"`
	PublishedAt   time.Time `json:"published_at"`
	ReceivedAt    time.Time `json:"received_at"`
	EnrichedAt    time.Time `json:"enriched_at"`
	TaggerVersion string    `json:"tagger_version"`

	// PublishedAtSource is the article's: "none" says PublishedAt is the
	// receipt time because the source gave no date.
	PublishedAtSource string `json:"published_at_source,omitempty"`
	Tags
}
