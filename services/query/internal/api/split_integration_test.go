package api_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// TestIntegrationIndexSplit reads the index split by acting side, source
// type and language from cell rows as the sink writes them (kind 'cell',
// key actor|source|lang; a pair's cells sum to its bucket row, the "*"
// language cells to all articles).
func TestIntegrationIndexSplit(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_query_split")
	const d1, d2 = "2025-04-02T00:00:00Z", "2025-04-03T00:00:00Z"
	insertJournal(t, conn, []journalRow{
		{granularity: "day", pair: "*", bucket: d1, articles: 10},
		{granularity: "day", pair: "CN-US", bucket: d1, dyad: 6, esc: 3, deesc: 2, mixed: 1, score: 0.9, weight: 30},
		{kind: "cell", key: "||en", granularity: "day", pair: "*", bucket: d1, articles: 7},
		{kind: "cell", key: "||zh", granularity: "day", pair: "*", bucket: d1, articles: 2},
		{kind: "cell", key: "||zh-Hant", granularity: "day", pair: "*", bucket: d1, articles: 1},
		{kind: "cell", key: "US|government|en", granularity: "day", pair: "CN-US", bucket: d1, dyad: 3, esc: 2, deesc: 1, score: 0.5, weight: 15},
		{kind: "cell", key: "CN|state_media|zh", granularity: "day", pair: "CN-US", bucket: d1, dyad: 1, esc: 1, score: 0.4, weight: 6},
		{kind: "cell", key: "CN|state_media|zh-Hant", granularity: "day", pair: "CN-US", bucket: d1, dyad: 1, mixed: 1, score: 0.2, weight: 4},
		{kind: "cell", key: "|press|en", granularity: "day", pair: "CN-US", bucket: d1, dyad: 1, deesc: 1, score: -0.2, weight: 5},
		{granularity: "day", pair: "*", bucket: d2, articles: 5},
		{granularity: "day", pair: "CN-US", bucket: d2, dyad: 1, esc: 1, score: 0.4, weight: 4},
		{kind: "cell", key: "||en", granularity: "day", pair: "*", bucket: d2, articles: 4},
		{kind: "cell", key: "||zho", granularity: "day", pair: "*", bucket: d2, articles: 1},
		{kind: "cell", key: "US|government|en", granularity: "day", pair: "CN-US", bucket: d2, dyad: 1, esc: 1, score: 0.4, weight: 4},
		// Another pair's cell, and another view's: never read here.
		{kind: "cell", key: "US|government|en", granularity: "day", pair: "EU-US", bucket: d1, dyad: 9, esc: 9},
		{kind: "cell", key: "US|government|en", granularity: "day", pair: "CN-US", version: "v2", bucket: d1, dyad: 9, esc: 9},
	})
	srv := httptest.NewServer(api.New(store.New(conn, 10*time.Second), api.Config{}))
	t.Cleanup(srv.Close)
	const rng = "/v1/index?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-04-05T00:00:00Z"
	type day struct {
		articles, dyad, esc int64
	}
	for _, tc := range []struct {
		q    string
		want []day
	}{
		{"", []day{{10, 6, 3}, {5, 1, 1}}},
		{"&actor=US", []day{{10, 3, 2}, {5, 1, 1}}},
		{"&actor=CN", []day{{10, 2, 1}, {5, 0, 0}}},
		{"&actor=none", []day{{10, 1, 0}, {5, 0, 0}}},
		{"&source_type=state_media", []day{{10, 2, 1}, {5, 0, 0}}},
		{"&source_type=government&actor=US", []day{{10, 3, 2}, {5, 1, 1}}},
		// The denominator is the language's articles; 04-03 has none in zh
		// (zho is another language, not a region of zh).
		{"&lang=zh", []day{{3, 2, 1}}},
		{"&lang=ZH", []day{{3, 2, 1}}},
		{"&lang=zh-hant", []day{{1, 1, 0}}},
		{"&lang=zho", []day{{1, 0, 0}}},
		{"&lang=en&actor=US", []day{{7, 3, 2}, {4, 1, 1}}},
		{"&lang=fr", nil},
	} {
		var r api.IndexResponse
		getJSON(t, srv, rng+tc.q, &r)
		if len(r.Buckets) != len(tc.want) {
			t.Errorf("%s: %d buckets %+v, want %d", tc.q, len(r.Buckets), r.Buckets, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			b := r.Buckets[i]
			if b.Articles != w.articles || b.DyadArticles != w.dyad || b.Escalating != w.esc {
				t.Errorf("%s bucket %d: %+v, want %+v", tc.q, i, b, w)
			}
		}
		if (tc.q == "") != (r.Filter == nil) {
			t.Errorf("%s: filter echoed as %+v", tc.q, r.Filter)
		}
	}
	// The directions add up to the pair, bucket by bucket (and so do the
	// source types): shares with the same denominator add up too.
	var all api.IndexResponse
	getJSON(t, srv, rng, &all)
	for i, b := range all.Buckets {
		var dyad, esc int64
		var share float64
		for _, a := range []string{"US", "CN", "none"} {
			var r api.IndexResponse
			getJSON(t, srv, rng+"&fill=gaps&actor="+a, &r)
			for _, rb := range r.Buckets {
				if rb.Start.Equal(b.Start) {
					dyad, esc, share = dyad+rb.DyadArticles, esc+rb.Escalating, share+rb.TensionShare
				}
			}
		}
		if dyad != b.DyadArticles || esc != b.Escalating || !near(share, b.TensionShare) {
			t.Errorf("bucket %d: directions add to %d/%d (share %v), the pair has %d/%d (%v)", i, dyad, esc, share, b.DyadArticles, b.Escalating, b.TensionShare)
		}
	}
	// An explicit base period reads the same part of the pair.
	var based api.IndexResponse
	getJSON(t, srv, rng+"&actor=US&base_from=2025-04-02T00:00:00Z&base_to=2025-04-03T00:00:00Z", &based)
	if !near(based.Base.Share, 2.0/10) {
		t.Errorf("base share with actor=US: %v, want 2/10", based.Base.Share)
	}
	for _, q := range []string{"&actor=JP", "&lang=zh%25", "&lang=", "&lang=z"} {
		if code, _, body := get(t, srv, rng+q); code != 400 {
			t.Errorf("%s on CN-US: %d %s, want 400", q, code, body)
		}
	}
}
