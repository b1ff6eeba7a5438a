package tension

import "math"

// Lead-lag (docs/views.md): the Pearson correlation of two series at each
// lag, with the number of bucket pairs behind each figure. Undefined values
// (NaN: a gap, or a ratio without a denominator) are left out pairwise, never
// read as zero.

// MinLagPairs is the fewest bucket pairs behind a correlation this package
// reports; below it the answer is "too thin". With 30 independent pairs a
// correlation of ±0.36 is already within the 95 % band of no relation.
const MinLagPairs = 30

// Lag is the correlation of a[t] with b[t+Lag] over the N bucket pairs where
// both are defined. R is NaN when N < MinLagPairs or a side does not vary.
type Lag struct {
	Lag int
	R   float64
	N   int
}

// LeadLag correlates a[t] with b[t+k] for k in [-maxLag, maxLag]: a positive
// k where R peaks means a moves first (a leads b by k buckets). a and b are
// aligned bucket by bucket and have the same length.
func LeadLag(a, b []float64, maxLag int) []Lag {
	out := make([]Lag, 0, 2*maxLag+1)
	for k := -maxLag; k <= maxLag; k++ {
		out = append(out, correlateAt(a, b, k))
	}
	return out
}

func correlateAt(a, b []float64, k int) Lag {
	var n int
	var sa, sb float64
	for t := range a {
		u := t + k
		if u < 0 || u >= len(b) || math.IsNaN(a[t]) || math.IsNaN(b[u]) {
			continue
		}
		n++
		sa += a[t]
		sb += b[u]
	}
	l := Lag{Lag: k, N: n, R: math.NaN()}
	if n < MinLagPairs {
		return l
	}
	ma, mb := sa/float64(n), sb/float64(n)
	var cov, va, vb float64
	for t := range a {
		u := t + k
		if u < 0 || u >= len(b) || math.IsNaN(a[t]) || math.IsNaN(b[u]) {
			continue
		}
		da, db := a[t]-ma, b[u]-mb
		cov += da * db
		va += da * da
		vb += db * db
	}
	if va == 0 || vb == 0 {
		return l
	}
	l.R = math.Max(-1, math.Min(1, cov/math.Sqrt(va*vb)))
	return l
}

// Strongest returns the lag with the largest |R|, preferring the smallest
// |Lag| on ties; ok is false when no lag has a correlation.
func Strongest(lags []Lag) (best Lag, ok bool) {
	for _, l := range lags {
		if math.IsNaN(l.R) {
			continue
		}
		if !ok || math.Abs(l.R) > math.Abs(best.R) || (math.Abs(l.R) == math.Abs(best.R) && abs(float64(l.Lag)) < abs(float64(best.Lag))) {
			best, ok = l, true
		}
	}
	return best, ok
}

// Band is the half-width of the 95 % interval of R around 0 for n
// independent pairs (1.96/√n). Series of news counts are autocorrelated, so
// the true band is wider: read a correlation inside 2×Band as no evidence.
func Band(n int) float64 {
	if n <= 0 {
		return math.Inf(1)
	}
	return 1.96 / math.Sqrt(float64(n))
}

// Diff returns the first differences of x (x[t]-x[t-1], NaN where either is
// undefined; the first is NaN): correlating changes instead of levels takes
// out a shared trend that would otherwise correlate at every lag.
func Diff(x []float64) []float64 {
	out := make([]float64, len(x))
	for t := range x {
		if t == 0 {
			out[t] = math.NaN()
			continue
		}
		out[t] = x[t] - x[t-1]
	}
	return out
}
