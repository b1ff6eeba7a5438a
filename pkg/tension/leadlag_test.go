package tension

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLeadLagFindsTheShift: b follows a by 3 buckets plus noise; the
// strongest lag is +3 (a leads), and swapping the series mirrors every lag.
func TestLeadLagFindsTheShift(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n, shift = 200, 3
	a := make([]float64, n)
	b := make([]float64, n)
	for i := range a {
		a[i] = r.NormFloat64()
	}
	for i := range b {
		if i >= shift {
			b[i] = a[i-shift] + 0.3*r.NormFloat64()
		} else {
			b[i] = r.NormFloat64()
		}
	}
	a[17], b[40] = math.NaN(), math.NaN() // gaps are left out, not zeros
	lags := LeadLag(a, b, 7)
	best, ok := Strongest(lags)
	if !ok || best.Lag != shift || best.R < 0.9 || best.N != n-shift-2 {
		t.Fatalf("strongest %+v, want lag %d, R > 0.9 over %d pairs", best, shift, n-shift-2)
	}
	for _, l := range lags {
		if l.Lag != shift && math.Abs(l.R) > 2*Band(l.N) {
			t.Errorf("lag %d: R %v outside the noise band %v", l.Lag, l.R, 2*Band(l.N))
		}
	}
	back := LeadLag(b, a, 7)
	for i, l := range lags {
		m := back[len(back)-1-i]
		if m.Lag != -l.Lag || m.N != l.N || math.Abs(m.R-l.R) > 1e-12 {
			t.Fatalf("lag %d: %+v, swapped %+v", l.Lag, l, m)
		}
	}
}

// TestLeadLagTooThin: below MinLagPairs defined pairs there is no figure.
func TestLeadLagTooThin(t *testing.T) {
	a := make([]float64, 100)
	b := make([]float64, 100)
	for i := range a {
		a[i], b[i] = float64(i%7), float64(i%5)
		if i%4 != 0 { // 25 defined buckets
			a[i] = math.NaN()
		}
	}
	for _, l := range LeadLag(a, b, 3) {
		if !math.IsNaN(l.R) || l.N >= MinLagPairs {
			t.Fatalf("lag %+v: want no figure under %d pairs", l, MinLagPairs)
		}
	}
	if _, ok := Strongest(LeadLag(a, b, 3)); ok {
		t.Fatal("Strongest found a lag in thin data")
	}
	// A constant side has no correlation either.
	c := make([]float64, 100)
	if l := LeadLag(c, b, 0)[0]; !math.IsNaN(l.R) || l.N != 100 {
		t.Fatalf("constant series: %+v", l)
	}
}

func TestDiff(t *testing.T) {
	d := Diff([]float64{1, 3, math.NaN(), 4, 10})
	if !math.IsNaN(d[0]) || d[1] != 2 || !math.IsNaN(d[2]) || !math.IsNaN(d[3]) || d[4] != 6 {
		t.Fatalf("Diff = %v", d)
	}
}
