package tension

import (
	"errors"
	"time"
)

// Rolling windows (docs/design.md §4): a smoothed value is the ratio of the
// parts summed over the window, never the mean of the buckets' ratios. A
// bucket's share is escalating/all; the mean of shares weighs a quiet hour
// with 2 articles like a busy one with 2,000, the ratio of sums does not, and
// it is the same figure a wider bucket covering the window would give.

// ErrWindow is returned for a window that is not a positive whole number of
// buckets.
var ErrWindow = errors.New("window must be a positive whole number of buckets")

// WindowBuckets is how many buckets of width g a window of span w covers.
func WindowBuckets(w time.Duration, g Granularity) (int, error) {
	d := g.Duration()
	if w <= 0 || w%d != 0 {
		return 0, ErrWindow
	}
	return int(w / d), nil
}

// Rolling returns, for each i, the sum of parts[i-n+1..i] (fewer at the
// start, where the window reaches before the first element: callers pass n-1
// leading buckets from before their range so that every bucket they show
// has a whole window). parts must be dense: one element per bucket, empty
// buckets included as zero Parts.
//
// Integer parts are exact. The two float sums are kept as a running sum
// with Neumaier compensation, so a window's float sum differs from summing
// its buckets directly by rounding only (≲1e-12 relative on realistic data),
// in O(len(parts)) whatever n.
func Rolling(parts []Parts, n int) []Parts {
	if n < 1 {
		n = 1
	}
	out := make([]Parts, len(parts))
	var (
		run            Parts
		score, weight  kahan
		leaving, enter Parts
	)
	for i := range parts {
		enter = parts[i]
		run.Articles += enter.Articles
		run.DyadArticles += enter.DyadArticles
		run.Escalating += enter.Escalating
		run.Deescalating += enter.Deescalating
		run.Mixed += enter.Mixed
		score.add(enter.SumScore)
		weight.add(enter.SumWeight)
		if j := i - n; j >= 0 {
			leaving = parts[j]
			run.Articles -= leaving.Articles
			run.DyadArticles -= leaving.DyadArticles
			run.Escalating -= leaving.Escalating
			run.Deescalating -= leaving.Deescalating
			run.Mixed -= leaving.Mixed
			score.add(-leaving.SumScore)
			weight.add(-leaving.SumWeight)
		}
		if run.DyadArticles == 0 {
			// No dyad article in the window: its float sums are exactly 0,
			// so drop the rounding residue the running sums carried.
			score, weight = kahan{}, kahan{}
		}
		run.SumScore, run.SumWeight = score.sum(), weight.sum()
		out[i] = run
	}
	return out
}

// kahan is a Neumaier-compensated running sum.
type kahan struct{ s, c float64 }

func (k *kahan) add(x float64) {
	t := k.s + x
	if abs(k.s) >= abs(x) {
		k.c += (k.s - t) + x
	} else {
		k.c += (x - t) + k.s
	}
	k.s = t
}

func (k *kahan) sum() float64 { return k.s + k.c }

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
