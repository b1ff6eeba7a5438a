package sink

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
)

// FuzzDecodeEnriched: the decoder never panics, and what it accepts is safe
// for the journal (valid id, sorted pairs, bounded tension, sane times).
func FuzzDecodeEnriched(f *testing.F) {
	good, _ := json.Marshal(event.Enriched{ArticleID: idA, TaggerVersion: "v", PublishedAt: time.Now(),
		Tags: event.Tags{Dyads: []event.Dyad{{Pair: "CN-US", Tension: 0.3, Direction: "escalation",
			Cues: []event.Cue{{Text: "raised tariffs", Weight: 8}}}}}})
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"article_id": "` + idA + `", "tagger_version": "v", "published_at": "2025-01-01T00:00:00Z", "dyads": [{"pair": "US-CN"}]}`))
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		e, err := decodeEnriched(data)
		if err != nil {
			return
		}
		for _, d := range e.Dyads {
			if d.Pair[:2] >= d.Pair[3:] || math.IsNaN(d.Tension) || d.Tension < -1 || d.Tension > 1 {
				t.Fatalf("accepted bad dyad %+v", d)
			}
		}
		if e.TaggerVersion == "" || (e.PublishedAt.IsZero() && e.ReceivedAt.IsZero()) {
			t.Fatalf("accepted %+v", e)
		}
	})
}
