package main

import (
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// tracker keeps the accept time of every article, in accept order, and turns
// visible counts from the query API into latencies.
//
// The approximation: the pipeline does not tell us which articles are
// visible, only how many. When the visible count first reaches k at poll
// time t, the k-th accepted article is taken to have become visible at t, so
// its latency is t − accept time of the k-th article. Articles are mostly
// visible in accept order (they are keyed and partitioned, so not exactly),
// and the poll interval adds up to one interval of overestimate.
type tracker struct {
	mu       sync.Mutex
	runs     []acceptRun // accepted articles, in order, run-length encoded
	accepted int
	assigned int        // articles whose latency is known
	lat      []weighted // latencies, one entry per (poll, run) pair
}

type acceptRun struct {
	cum int // accepted articles up to and including this run
	at  time.Time
}

type weighted struct {
	d time.Duration
	n int
}

// Accept records n articles accepted now and returns the accept time. The
// clock is read under the lock so accept times never go backwards.
func (t *tracker) Accept(n int, now func() time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	at := now()
	t.accepted += n
	t.runs = append(t.runs, acceptRun{cum: t.accepted, at: at})
	return at
}

// Accepted returns how many articles were accepted.
func (t *tracker) Accepted() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.accepted
}

// Observe records that visible articles were visible at time at and assigns
// a latency to every newly visible article. It returns how many articles
// still await a latency.
func (t *tracker) Observe(visible int, at time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	upto := min(visible, t.accepted)
	for t.assigned < upto {
		// The run holding article number assigned+1.
		i := sort.Search(len(t.runs), func(i int) bool { return t.runs[i].cum > t.assigned })
		r := t.runs[i]
		n := min(r.cum, upto) - t.assigned
		d := at.Sub(r.at)
		if d < 0 {
			d = 0
		}
		t.lat = append(t.lat, weighted{d, n})
		t.assigned += n
	}
	return t.accepted - t.assigned
}

// latencyStats are milliseconds.
type latencyStats struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// Stats returns nearest-rank percentiles of the latencies assigned so far.
func (t *tracker) Stats() latencyStats {
	t.mu.Lock()
	lat := slices.Clone(t.lat)
	t.mu.Unlock()
	return percentiles(lat)
}

func percentiles(lat []weighted) latencyStats {
	var s latencyStats
	var sum float64
	for _, w := range lat {
		s.Count += w.n
		sum += float64(w.d) * float64(w.n)
	}
	if s.Count == 0 {
		return s
	}
	slices.SortFunc(lat, func(a, b weighted) int { return int(a.d - b.d) })
	rank := func(p float64) float64 {
		k := int(math.Ceil(p * float64(s.Count))) // nearest rank, 1-based
		k = max(k, 1)
		cum := 0
		for _, w := range lat {
			cum += w.n
			if cum >= k {
				return ms(w.d)
			}
		}
		return ms(lat[len(lat)-1].d)
	}
	s.P50, s.P95, s.P99 = rank(0.50), rank(0.95), rank(0.99)
	s.Max = ms(lat[len(lat)-1].d)
	s.Mean = sum / float64(s.Count) / 1e6
	return s
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
