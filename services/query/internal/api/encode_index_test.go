package api

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"
)

// TestIndexJSONIsMarshals: the hand-written index answer is byte for byte
// what json.Marshal writes (with IndexBucket.MarshalJSON's nulls in gaps),
// for random answers with every optional part, odd floats, strings that
// need escapes, and times in other zones; a NaN falls back to json.Marshal.
func TestIndexJSONIsMarshals(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 12))
	floats := []float64{0, -0.0, 1, -1, 0.1, 1e-7, 123456789012345678901234.0, 1e21, 5e-324, math.MaxFloat64, 2.5e-6, -3.75}
	pick := func() float64 {
		if rng.IntN(3) == 0 {
			return floats[rng.IntN(len(floats))]
		}
		return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-6))
	}
	zone := time.FixedZone("X", 5*3600+1800)
	for i := range 300 {
		start := time.Date(2024, 1, 1, 0, 0, 0, rng.IntN(2)*123456789, time.UTC)
		r := IndexResponse{Pair: "CN-US", Interval: Interval([]string{"hour", "day", "minute"}[i%3]), From: start, To: start.In(zone).AddDate(0, 1, 0),
			TaggerVersion: []string{"", "tagger-1.2.0", "v<2>&\"x\"\u2028"}[i%3], Base: Base{From: start, To: start.Add(time.Hour), Share: pick()}}
		if i%4 == 1 {
			r.Window = "7d"
		}
		if i%5 == 2 {
			r.Filter = &Filter{Actor: "US", Lang: "zh-Hant"}
		}
		if i%7 != 3 { // else no buckets at all (null)
			r.Buckets = []IndexBucket{}
		}
		for j := range rng.IntN(40) {
			b := IndexBucket{Start: start.Add(time.Duration(j) * time.Hour), Gap: rng.IntN(4) == 0,
				Articles: rng.Int64N(1e6), DyadArticles: rng.Int64N(1e5) - 10, Escalating: rng.Int64N(1e5), Deescalating: rng.Int64N(1e5),
				Mixed: rng.Int64N(100), SumScore: pick(), SumWeight: pick(), NetTension: pick(), TensionShare: pick(), TensionIndex: pick()}
			r.Buckets = append(r.Buckets, b)
		}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.appendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Fatalf("case %d (%v):\n got %s\nwant %s", i, err, got, want)
		}
	}
	// A NaN, which JSON cannot hold: the handler falls back to json.Marshal
	// and so answers what it always did (a 500 envelope).
	r := yearOfHours()
	r.Buckets[3].TensionIndex = math.NaN()
	if _, err := r.appendJSON(nil); err == nil {
		t.Fatal("a NaN was encoded")
	}
	rec := httptest.NewRecorder()
	writeAppendedJSON(rec, r)
	if rec.Code != 500 {
		t.Fatalf("NaN: %d %s", rec.Code, rec.Body.String()[:min(200, rec.Body.Len())])
	}
	// The whole year as the benchmark encodes it.
	r = yearOfHours()
	want, _ := json.Marshal(r)
	rec = httptest.NewRecorder()
	writeAppendedJSON(rec, r)
	if rec.Code != 200 || rec.Body.String() != string(want)+"\n" || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("a year of hours: %d, %d bytes vs %d, %q", rec.Code, rec.Body.Len(), len(want)+1, rec.Header().Get("Content-Type"))
	}
}
