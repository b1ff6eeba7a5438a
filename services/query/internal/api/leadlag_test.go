package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/query/internal/store"
)

func TestLeadLagParams(t *testing.T) {
	now := mustTime("2025-06-01T00:00:00Z")
	for _, tc := range []struct{ q, wantErr string }{
		{"pair=CN-US&a=source_type:state_media&b=source_type:government", ""},
		{"pair=CN-US&a=actor:CN,lang:zh&b=all&max_lag=7d&measure=net_tension&transform=diff", ""},
		{"pair=CN-US&a=all", "b: required"},
		{"pair=CN-US&a=source_type:tv&b=all", "a: source_type: must be one of"},
		{"pair=CN-US&a=actor:JP&b=all", "a: actor: must be one of the pair's codes"},
		{"pair=CN-US&a=color:red&b=all", "is not dimension:value"},
		{"pair=CN-US&a=lang:en,lang:zh&b=all", "each once"},
		{"pair=CN-US&a=all&b=all&interval=month", "equal length"},
		{"pair=CN-US&a=all&b=all&max_lag=200d", "less than half the range"},
		{"pair=CN-US&a=all&b=all&interval=hour&max_lag=90m", "whole number of hour buckets"},
		{"pair=CN-US&a=all&b=all&measure=mean", "measure:"},
		{"pair=CN-US&a=all&b=all&transform=log", "transform:"},
	} {
		r, err := ParseLeadLag(tc.q, now, DefaultRanges)
		if tc.wantErr == "" {
			if err != nil || r.MaxLagBuckets == 0 {
				t.Errorf("%s: %+v %v", tc.q, r, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want %q", tc.q, err, tc.wantErr)
		}
	}
}

func TestLeadLagThinAndSame(t *testing.T) {
	// 10 days of data in a year: too thin whatever the lag.
	var few []store.Bucket
	for d := 0; d < 10; d++ {
		few = append(few, store.Bucket{Start: mustTime("2025-03-01T00:00:00Z").AddDate(0, 0, d),
			Parts: tension.Parts{Articles: 10, DyadArticles: 5, Escalating: int64(d % 4)}})
	}
	_, body := serve(t, &fakeStore{buckets: few}, Config{}, "GET", "/v1/leadlag?pair=CN-US&a=actor:US&b=actor:CN")
	var r LeadLagResponse
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if r.Verdict != "too_thin" || r.Best != nil || r.ABuckets != 10 || len(r.Lags) != 29 || !strings.Contains(r.Note, "30 bucket pairs") {
		t.Fatalf("thin: %s", body)
	}
	for _, l := range r.Lags {
		if l.R != nil || l.N > 10 {
			t.Fatalf("lag %+v in thin data", l)
		}
	}
	// The same series on both sides: strongest at lag 0, r = 1.
	var many []store.Bucket
	for d := 0; d < 120; d++ {
		many = append(many, store.Bucket{Start: mustTime("2025-01-01T00:00:00Z").AddDate(0, 0, d),
			Parts: tension.Parts{Articles: 10, DyadArticles: 5, Escalating: int64((d * 7) % 5)}})
	}
	_, body = serve(t, &fakeStore{buckets: many}, Config{}, "GET",
		"/v1/leadlag?pair=CN-US&a=all&b=all&from=2025-01-01T00:00:00Z&to=2025-05-01T00:00:00Z&max_lag=5d")
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if r.Verdict != "same_bucket" || r.Best == nil || r.Best.Lag != "0" || *r.Best.R < 0.999 || r.Best.N != 120 {
		t.Fatalf("same: %s", body)
	}
}
