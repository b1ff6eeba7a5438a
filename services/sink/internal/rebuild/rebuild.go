// Package rebuild recomputes the index from the raw tables. The raw tables
// are the truth and the journal's bucket rows are derived: rebuild compares
// the two over a range and writes the difference as one journal block, so
// afterwards every bucket equals what the raw rows say. With DryRun it only
// reports the difference, which is how tests check the index end to end.
package rebuild

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// Store is what rebuild reads and writes.
type Store interface {
	RawMinutes(ctx context.Context, from, to time.Time) (map[store.BucketKey]tension.Parts, error)
	JournalBuckets(ctx context.Context, from, to time.Time) (map[store.BucketKey]tension.Parts, error)
	WriteJournal(ctx context.Context, rows []journal.Row) error
}

// Diff is one bucket whose journal value differs from the raw truth.
type Diff struct {
	Key     store.BucketKey
	Journal tension.Parts
	Raw     tension.Parts
}

func (d Diff) String() string {
	return fmt.Sprintf("%s %s %q %s: journal %+v, raw %+v", d.Key.Granularity, d.Key.Pair, d.Key.TaggerVersion,
		time.Unix(d.Key.Bucket, 0).UTC().Format(time.RFC3339), d.Journal, d.Raw)
}

// Range widens [from, to) to whole days, so every day bucket it touches is
// recomputed whole.
func Range(from, to time.Time) (time.Time, time.Time) {
	f := tension.Day.Truncate(from)
	t := tension.Day.Truncate(to)
	if t.Before(to) {
		t = t.Add(24 * time.Hour)
	}
	return f, t
}

// Run compares the journal with the raw tables over [from, to) (widened to
// whole days) and, unless dryRun, writes the corrections. It returns the
// buckets that differed.
func Run(ctx context.Context, st Store, from, to time.Time, dryRun bool) ([]Diff, error) {
	from, to = Range(from, to)
	minutes, err := st.RawMinutes(ctx, from, to)
	if err != nil {
		return nil, err
	}
	truth := Rollup(minutes)
	have, err := st.JournalBuckets(ctx, from, to)
	if err != nil {
		return nil, err
	}
	diffs := Compare(have, truth)
	if dryRun || len(diffs) == 0 {
		return diffs, nil
	}
	deltas := map[store.BucketKey]tension.Parts{}
	for _, d := range diffs {
		p := d.Raw
		p.Add(d.Journal.Neg())
		deltas[d.Key] = p
	}
	if err := st.WriteJournal(ctx, store.Rows(deltas)); err != nil {
		return diffs, fmt.Errorf("rebuild: write corrections: %w", err)
	}
	return diffs, nil
}

// Rollup sums minute parts into every granularity.
func Rollup(minutes map[store.BucketKey]tension.Parts) map[store.BucketKey]tension.Parts {
	out := map[store.BucketKey]tension.Parts{}
	for k, p := range minutes {
		for _, g := range tension.Granularities {
			gk := k
			gk.Granularity = g
			gk.Bucket = g.Truncate(time.Unix(k.Bucket, 0)).Unix()
			cur := out[gk]
			cur.Add(p)
			out[gk] = cur
		}
	}
	return out
}

// Compare lists the buckets where have and want differ, in a stable order.
// Sums of scores compare with a tolerance for float addition order.
func Compare(have, want map[store.BucketKey]tension.Parts) []Diff {
	var out []Diff
	seen := map[store.BucketKey]bool{}
	check := func(k store.BucketKey) {
		if seen[k] {
			return
		}
		seen[k] = true
		if !equal(have[k], want[k]) {
			out = append(out, Diff{Key: k, Journal: have[k], Raw: want[k]})
		}
	}
	for k := range have {
		check(k)
	}
	for k := range want {
		check(k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func equal(a, b tension.Parts) bool {
	return a.Articles == b.Articles && a.DyadArticles == b.DyadArticles && a.Escalating == b.Escalating &&
		a.Deescalating == b.Deescalating && a.Mixed == b.Mixed &&
		math.Abs(a.SumScore-b.SumScore) < 1e-6 && math.Abs(a.SumWeight-b.SumWeight) < 1e-6
}
