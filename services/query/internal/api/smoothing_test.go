package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/tension"

	"github.com/tension-dev/tension/services/query/internal/store"
)

func TestSmoothingParams(t *testing.T) {
	now := mustTime("2025-05-01T00:00:00Z")
	for _, tc := range []struct {
		q       string
		window  time.Duration
		n       int
		fill    bool
		wantErr string
	}{
		{"pair=CN-US", 0, 0, false, ""},
		{"pair=CN-US&fill=gaps", 0, 0, true, ""},
		{"pair=CN-US&window=7d", 7 * day, 7, true, ""},
		{"pair=CN-US&window=30d&fill=none", 30 * day, 30, false, ""},
		{"pair=CN-US&interval=hour&window=7d", 7 * day, 168, true, ""},
		{"pair=CN-US&interval=hour&window=90m", 0, 0, false, "whole number of hour buckets"},
		{"pair=CN-US&interval=month&window=30d", 0, 0, false, "interval=minute, hour or day"},
		{"pair=CN-US&window=400d", 0, 0, false, "at most 366 days"},
		{"pair=CN-US&window=-7d", 0, 0, false, "window:"},
		{"pair=CN-US&window=week", 0, 0, false, "window:"},
		{"pair=CN-US&fill=zeros", 0, 0, false, "fill: must be gaps or none"},
	} {
		r, err := ParseIndex(tc.q, now, DefaultRanges)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want one containing %q", tc.q, err, tc.wantErr)
			}
			continue
		}
		if err != nil || r.Window != tc.window || r.WindowBuckets != tc.n || r.Fill != tc.fill {
			t.Errorf("%s: %+v, %v; want window %v (%d buckets), fill %v", tc.q, r.Smoothing, err, tc.window, tc.n, tc.fill)
		}
	}
}

// TestIndexWindow: a 3-day window over sparse day buckets reads two days
// before the range, lists every day of the range, sums the parts over each
// window and derives the ratios from the sums; a day with no article in
// its window is a gap with null ratios.
func TestIndexWindow(t *testing.T) {
	fs := &fakeStore{buckets: []store.Bucket{
		{Start: mustTime("2025-03-30T00:00:00Z"), Parts: tension.Parts{Articles: 2, DyadArticles: 2, Escalating: 2, SumScore: 1.6}},
		{Start: mustTime("2025-04-01T00:00:00Z"), Parts: tension.Parts{Articles: 2000, DyadArticles: 100, Escalating: 20, SumScore: -10}},
		{Start: mustTime("2025-04-09T00:00:00Z"), Parts: tension.Parts{Articles: 5}},
	}}
	resp, body := serve(t, fs, Config{}, "GET", "/v1/index?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-04-10T00:00:00Z&window=3d")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if q := fs.indexQ[0]; !q.From.Equal(mustTime("2025-03-30T00:00:00Z")) || !q.To.Equal(mustTime("2025-04-10T00:00:00Z")) {
		t.Fatalf("store read %v..%v, want 2025-03-30..2025-04-10 (two days before the range for the window)", q.From, q.To)
	}
	var r IndexResponse
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if r.Window != "3d" || len(r.Buckets) != 9 {
		t.Fatalf("window %q, %d buckets; want 3d and one per day (9)", r.Window, len(r.Buckets))
	}
	// The default base is the range's own parts (not the days before it).
	if want := 20.0 / 2005; !nearly(r.Base.Share, want) {
		t.Errorf("base share %v, want %v", r.Base.Share, want)
	}
	b0 := r.Buckets[0] // 03-30 + 03-31 + 04-01
	if b0.Articles != 2002 || b0.Escalating != 22 || b0.DyadArticles != 102 || !nearly(b0.TensionShare, 22.0/2002) ||
		!nearly(b0.NetTension, -8.4/102) || b0.Gap {
		t.Errorf("first window: %+v; want the parts of 03-30..04-01 summed, share 22/2002", b0)
	}
	if b := r.Buckets[2]; b.Articles != 2000 || b.Gap { // 03-30 left the window
		t.Errorf("04-03: %+v; want 2000 articles (04-01 still in its window)", b)
	}
	for i := 3; i < 8; i++ {
		if b := r.Buckets[i]; !b.Gap || b.Articles != 0 {
			t.Errorf("bucket %d (%s): %+v, want a gap", i, b.Start.Format("01-02"), b)
		}
	}
	if b := r.Buckets[8]; b.Gap || b.Articles != 5 {
		t.Errorf("04-09: %+v", b)
	}
	if !strings.Contains(body, `{"start":"2025-04-04T00:00:00Z","gap":true,"articles":0,"dyad_articles":0,"escalating":0,"deescalating":0,"mixed":0,"sum_score":0,"sum_weight":0,"net_tension":null,"tension_share":null,"tension_index":null}`) {
		t.Errorf("a gap's ratios should be null in JSON:\n%s", body)
	}

	_, csv := serve(t, fs, Config{}, "GET", "/v1/index?pair=CN-US&from=2025-04-03T00:00:00Z&to=2025-04-05T00:00:00Z&window=3d&format=csv")
	// The base (this range's own parts) is empty, so the index is 0.
	want := "start,articles,dyad_articles,escalating,deescalating,mixed,sum_score,sum_weight,net_tension,tension_share,tension_index,gap\n" +
		"2025-04-03T00:00:00Z,2000,100,20,0,0,-10,0,-0.1,0.01,0,false\n" +
		"2025-04-04T00:00:00Z,0,0,0,0,0,0,0,,,,true\n"
	if csv != want {
		t.Errorf("csv:\n%s\nwant\n%s", csv, want)
	}
}

// TestIndexFillGaps: fill=gaps lists empty buckets as gaps without a window;
// the default still lists only buckets holding articles.
func TestIndexFillGaps(t *testing.T) {
	fs := &fakeStore{buckets: []store.Bucket{
		{Start: mustTime("2025-04-02T00:00:00Z"), Parts: tension.Parts{Articles: 4, DyadArticles: 1, Escalating: 1}},
	}}
	var r IndexResponse
	_, body := serve(t, fs, Config{}, "GET", "/v1/index?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-04-04T00:00:00Z&fill=gaps")
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Buckets) != 3 || !r.Buckets[0].Gap || r.Buckets[1].Gap || !r.Buckets[2].Gap {
		t.Fatalf("fill=gaps: %+v", r.Buckets)
	}
	_, body = serve(t, fs, Config{}, "GET", "/v1/index?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-04-04T00:00:00Z")
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Buckets) != 1 || strings.Contains(body, "gap") {
		t.Fatalf("default: %s", body)
	}
}

func nearly(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }
