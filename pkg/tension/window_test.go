package tension

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestWindowBuckets(t *testing.T) {
	for _, tc := range []struct {
		w    time.Duration
		g    Granularity
		want int
		err  bool
	}{
		{7 * 24 * time.Hour, Day, 7, false},
		{30 * 24 * time.Hour, Day, 30, false},
		{7 * 24 * time.Hour, Hour, 168, false},
		{90 * time.Minute, Minute, 90, false},
		{90 * time.Minute, Hour, 0, true},
		{0, Day, 0, true},
		{-time.Hour, Hour, 0, true},
	} {
		got, err := WindowBuckets(tc.w, tc.g)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("WindowBuckets(%v, %s) = %d, %v; want %d, err %v", tc.w, tc.g, got, err, tc.want, tc.err)
		}
	}
}

// naiveWindow sums parts[i-n+1..i] directly.
func naiveWindow(parts []Parts, i, n int) Parts {
	var s Parts
	for j := max(0, i-n+1); j <= i; j++ {
		s.Add(parts[j])
	}
	return s
}

func randomParts(r *rand.Rand, n int) []Parts {
	ps := make([]Parts, n)
	for i := range ps {
		if r.IntN(3) == 0 {
			continue // an empty bucket
		}
		all := r.Int64N(2000)
		dyad := r.Int64N(all + 1)
		esc := r.Int64N(dyad + 1)
		de := r.Int64N(dyad - esc + 1)
		mixed := r.Int64N(dyad - esc - de + 1)
		var score, weight float64
		for k := int64(0); k < dyad; k++ {
			score += r.Float64()*2 - 1
			weight += r.Float64() * 10
		}
		ps[i] = Parts{Articles: all, DyadArticles: dyad, Escalating: esc, Deescalating: de, Mixed: mixed,
			SumScore: score, SumWeight: weight}
	}
	return ps
}

// TestRollingIsSumOfParts is the property of rolling windows: every
// window's parts equal the sum of the parts of the buckets it covers
// (integers exactly, float sums up to rounding), whatever the sequence and
// the window.
func TestRollingIsSumOfParts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 300; trial++ {
		ps := randomParts(r, 1+r.IntN(400))
		n := 1 + r.IntN(60)
		got := Rolling(ps, n)
		if len(got) != len(ps) {
			t.Fatalf("Rolling: %d windows for %d buckets", len(got), len(ps))
		}
		for i := range ps {
			want := naiveWindow(ps, i, n)
			g := got[i]
			if g.Articles != want.Articles || g.DyadArticles != want.DyadArticles || g.Escalating != want.Escalating ||
				g.Deescalating != want.Deescalating || g.Mixed != want.Mixed {
				t.Fatalf("trial %d, n=%d, bucket %d: counts %+v, want %+v", trial, n, i, g, want)
			}
			if !near(g.SumScore, want.SumScore) || !near(g.SumWeight, want.SumWeight) {
				t.Fatalf("trial %d, n=%d, bucket %d: sums %v %v, want %v %v", trial, n, i,
					g.SumScore, g.SumWeight, want.SumScore, want.SumWeight)
			}
			if want.DyadArticles == 0 && (g.SumScore != 0 || g.SumWeight != 0) {
				t.Fatalf("trial %d, bucket %d: a window without dyad articles has sums %v %v, want exactly 0",
					trial, i, g.SumScore, g.SumWeight)
			}
		}
	}
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// TestRollingRatioOfSums: the smoothed share is the ratio of the summed
// parts, which a wide bucket covering the same span would give, not the
// mean of the buckets' shares.
func TestRollingRatioOfSums(t *testing.T) {
	ps := []Parts{
		{Articles: 2, DyadArticles: 2, Escalating: 2},       // share 1
		{Articles: 2000, DyadArticles: 100, Escalating: 20}, // share 0.01
	}
	w := Rolling(ps, 2)[1]
	got := TensionShare(w.Escalating, w.Articles)
	if want := 22.0 / 2002; got != want {
		t.Fatalf("windowed share %v, want %v (22/2002)", got, want)
	}
	mean := (TensionShare(2, 2) + TensionShare(20, 2000)) / 2
	if math.Abs(got-mean) < 0.4 {
		t.Fatalf("windowed share %v is near the mean of shares %v: the test data do not tell them apart", got, mean)
	}
	// A window of 1 is the buckets themselves.
	for i, p := range Rolling(ps, 1) {
		if p != ps[i] {
			t.Fatalf("window 1, bucket %d: %+v, want %+v", i, p, ps[i])
		}
	}
}

func BenchmarkRolling(b *testing.B) {
	ps := randomParts(rand.New(rand.NewPCG(3, 4)), 24*366)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Rolling(ps, 24*30)
	}
	b.ReportMetric(float64(len(ps)), "buckets/op")
}
