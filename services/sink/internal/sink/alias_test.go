package sink

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
)

func urlMessage(t *testing.T, offset int64, id, url string) kafka.Message {
	t.Helper()
	e := event.Enriched{ArticleID: id, EventID: id, URL: url, TaggerVersion: "v1", Text: "x",
		PublishedAt: time.Date(2025, 4, 9, 12, 0, 0, 0, time.UTC), ReceivedAt: time.Now(), EnrichedAt: time.Now()}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return kafka.Message{Topic: "enriched", Partition: 0, Offset: offset, Key: []byte(id), Value: b}
}

// TestArticleStoredBeforeTheURLRulesKeepsItsID: an article counted under
// the id its http:// URL had before the canonical URL rules changed
// (docs/ids.md), sent again after the change with its new id, is the same
// article: counted once, under the old id.
func TestArticleStoredBeforeTheURLRulesKeepsItsID(t *testing.T) {
	const u = "http://example.com/2019/05/10/talks/"
	legacy, current := event.LegacyArticleID(u), event.ArticleID(u, "")
	if legacy == "" || legacy == current {
		t.Fatalf("no alias for %s", u)
	}
	st := &memStore{}
	run(t, st, []kafka.Message{urlMessage(t, 0, legacy, u)})
	run(t, st, []kafka.Message{urlMessage(t, 1, current, u), urlMessage(t, 2, current, u)})
	if got := st.articles(tension.Day); got != 1 {
		t.Fatalf("day count = %d, want the article once", got)
	}
	// A new article with the same kind of URL and no legacy id counted is
	// counted under its new id.
	const fresh = "http://example.com/2025/01/01/new/"
	run(t, st, []kafka.Message{urlMessage(t, 3, event.ArticleID(fresh, ""), fresh)})
	if got := st.articles(tension.Day); got != 2 {
		t.Fatalf("day count = %d, want 2", got)
	}
	priors, _ := st.Priors(t.Context(), []string{event.ArticleID(fresh, ""), event.LegacyArticleID(fresh)})
	if priors[event.ArticleID(fresh, "")] == nil || priors[event.LegacyArticleID(fresh)] != nil {
		t.Fatal("the new article is not counted under its new id")
	}
}
