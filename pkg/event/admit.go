package event

import (
	"fmt"
	"time"
)

// EncodeArticle stamps a decoded client article as it enters the pipeline
// — its stable id (ArticleID) and its receipt time (to the second) — and
// encodes the record
// ingest and backfill publish on articles.raw.v1, keyed by article_id. The
// record must take at most limit bytes (MaxArticleBytes when limit is 0 or
// larger): the size rule that guarantees its enriched record fits its topic.
// The error is a *SizeError (ErrTooLarge).
func EncodeArticle(a *Article, receivedAt time.Time, limit int) (Record, error) {
	if limit <= 0 || limit > MaxArticleBytes {
		limit = MaxArticleBytes
	}
	a.ArticleID = ArticleID(a.URL, a.Text)
	// To the second, as the raw tables store it: the encoding then has one
	// length, and whether an article is admitted does not depend on the
	// nanosecond it arrived.
	a.ReceivedAt = receivedAt.UTC().Truncate(time.Second)
	v, err := marshalArticle(a)
	if err != nil { // cannot happen: a decoded article holds only strings and times in years 1971-9999
		return Record{}, fmt.Errorf("encode article: %w", err)
	}
	r := Record{Key: []byte(a.ArticleID), Value: v}
	if n := r.Size(); n > limit {
		return Record{}, &SizeError{What: "article", Size: n, Limit: limit}
	}
	return r, nil
}
