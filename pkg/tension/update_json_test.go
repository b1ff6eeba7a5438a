package tension

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// jsonStrings are member values that exercise encoding/json's escaping:
// HTML characters, controls, quotes, invalid UTF-8, U+2028.
var jsonStrings = []string{"", "CN-US", "*", "minute", "tagger-2026.12", "<a&b>", "\"q\"\\", "\x00\x1f\t\n",
	"caf\xc3\xa9", "\xff\xfe", "\u2028\u2029", "中美"}

var jsonFloats = []float64{0, math.Copysign(0, -1), 0.125, -0.333, 1.0 / 3, 1e-7, -2.5e-9, 1e21, 123456789.123,
	math.MaxFloat64, math.SmallestNonzeroFloat64, 7}

func randomTime(r *rand.Rand) time.Time {
	t := time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(1e9)*int64(r.IntN(2)))
	if r.IntN(3) == 0 {
		t = t.In(time.FixedZone("x", (r.IntN(48)-24)*1800))
	}
	return t
}

func randomUpdateParts(r *rand.Rand) Parts {
	return Parts{Articles: r.Int64() - 1<<62, DyadArticles: r.Int64N(1000), Escalating: -r.Int64N(5),
		Deescalating: r.Int64N(1 << 40), Mixed: 0,
		SumScore: jsonFloats[r.IntN(len(jsonFloats))], SumWeight: r.NormFloat64() * 1e3}
}

// TestUpdateAppendJSONIsJSONMarshal: the index topic's messages are the
// bytes encoding/json made of them before AppendJSON, for random updates
// of both kinds.
func TestUpdateAppendJSONIsJSONMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return jsonStrings[r.IntN(len(jsonStrings))] }
	for i := range 5000 {
		u := Update{Pair: pick(), Granularity: pick(), BucketStart: randomTime(r), Revision: r.Int64() - 1<<62,
			Parts: randomUpdateParts(r), NetTension: jsonFloats[r.IntN(len(jsonFloats))], TensionShare: r.Float64(),
			UpdatedAt: randomTime(r)}
		if r.IntN(2) == 0 {
			u.TaggerVersion = pick()
		}
		if r.IntN(2) == 0 {
			x := r.NormFloat64() * 100
			u.TensionIndex = &x
		}
		compareJSON(t, i, &u, u.AppendJSON)
		c := CellUpdate{Pair: pick(), Actor: pick(), SourceType: pick(), Lang: pick(), Granularity: pick(),
			BucketStart: randomTime(r), TaggerVersion: pick(), Revision: r.Int64N(1 << 50), Parts: randomUpdateParts(r),
			UpdatedAt: randomTime(r)}
		compareJSON(t, i, &c, c.AppendJSON)
	}
}

// TestUpdateAppendJSONRefusesWhatJSONRefuses: NaN, infinities and years
// past 9999 are errors, as they are to encoding/json.
func TestUpdateAppendJSONRefusesWhatJSONRefuses(t *testing.T) {
	nan := math.NaN()
	for name, u := range map[string]Update{
		"NaN net tension":   {NetTension: nan},
		"infinite share":    {TensionShare: math.Inf(1)},
		"NaN index":         {TensionIndex: &nan},
		"NaN sum_score":     {Parts: Parts{SumScore: nan}},
		"year 10000 bucket": {BucketStart: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"year -1 updated":   {UpdatedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := json.Marshal(&u); err == nil {
			t.Fatalf("%s: encoding/json accepts it; the case tests nothing", name)
		}
		if _, err := u.AppendJSON(nil); err == nil {
			t.Errorf("%s: AppendJSON accepted what encoding/json refuses", name)
		}
	}
}

func compareJSON(t *testing.T, i int, v any, appendJSON func([]byte) ([]byte, error)) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	prefix := []byte("prefix")
	got, err := appendJSON(bytes.Clone(prefix))
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("case %d: AppendJSON error %v, encoding/json error %v (%+v)", i, err, wantErr, v)
	}
	if err != nil {
		return
	}
	if !bytes.HasPrefix(got, prefix) || !bytes.Equal(got[len(prefix):], want) {
		t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
	}
}

// FuzzUpdateAppendJSON compares AppendJSON with encoding/json on fuzzed
// strings, numbers and times.
func FuzzUpdateAppendJSON(f *testing.F) {
	f.Add("CN-US", "minute", "", int64(1735689600), int64(3), 0.5, -0.25, 1.0, true)
	f.Add("<&>", "\xff", "v\u2028", int64(-62135596801), int64(-1), math.Inf(1), 1e-7, 1e21, false)
	f.Fuzz(func(t *testing.T, pair, granularity, version string, secs, n int64, f1, f2, f3 float64, withIndex bool) {
		u := Update{Pair: pair, Granularity: granularity, TaggerVersion: version, BucketStart: time.Unix(secs, n%1e9),
			Revision: n, Parts: Parts{Articles: n, Escalating: -n, SumScore: f1, SumWeight: f2}, NetTension: f3,
			TensionShare: f1 * f2, UpdatedAt: time.Unix(n, secs%1e9).UTC()}
		if withIndex {
			u.TensionIndex = &f3
		}
		compareJSON(t, 0, &u, u.AppendJSON)
		c := CellUpdate{Pair: pair, Actor: version, SourceType: granularity, Lang: pair + version,
			Granularity: granularity, BucketStart: u.BucketStart, TaggerVersion: version, Revision: n,
			Parts: u.Parts, UpdatedAt: u.UpdatedAt}
		compareJSON(t, 0, &c, c.AppendJSON)
	})
}
