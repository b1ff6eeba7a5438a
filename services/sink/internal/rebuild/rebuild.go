// Package rebuild recomputes the index from the raw tables. The raw tables
// are the truth and the journal's bucket rows are derived: rebuild compares
// the two over a range and writes the difference as one journal block, so
// afterwards every bucket equals what the raw rows say. With DryRun it only
// reports the difference, which is how tests check the index end to end.
//
// It is safe while sinks write, without pausing them:
//   - it compares the journal with the raw rows of the articles the journal
//     counts (its counted set), so a batch whose raw rows are written and
//     whose journal block is not yet is neither missed nor counted twice;
//   - it reads the journal's fingerprint (every block changes it, merges do
//     not) before and after its reads and reads again when a block landed in
//     between, so the buckets and the counted set it compares belong together;
//   - it waits while the ledger has a conflict a sink is about to cancel,
//     whose compensation would otherwise undo the same difference twice;
//   - a block that lands after its reads is a correct change of both sides
//     (or a conflict cancelled later in full), so the correction, a delta,
//     still holds after it.
//
// Two rebuilds of the same range must not run at once on one server (on a
// replicated journal their identical corrections are kept once).
package rebuild

import (
	"context"
	"errors"
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
	Fingerprint(ctx context.Context) (string, error)
	Unsettled(ctx context.Context, from, to time.Time) (doubled, overlaps int, err error)
	Uncounted(ctx context.Context, from, to time.Time) (int, error)
	RawRollups(ctx context.Context, from, to time.Time) (map[store.RollupKey]store.RollupVal, error)
	JournalRollups(ctx context.Context, from, to time.Time) (map[store.RollupKey]store.RollupVal, error)
	RawMarkers(ctx context.Context, from, to time.Time) (map[store.MarkerKey]int64, error)
	JournalMarkers(ctx context.Context, from, to time.Time) (map[store.MarkerKey]int64, error)
}

// Errors Run returns when it cannot compare a settled journal.
var (
	// ErrUnsettled: the ledger holds conflicts the sinks have not cancelled
	// yet; run again in a minute.
	ErrUnsettled = errors.New("rebuild: the journal has conflicts being settled")
	// ErrBusy: blocks kept landing while rebuild read; run again.
	ErrBusy = errors.New("rebuild: the journal kept changing while it was read")
)

// Result is what Run found: the buckets that differ (and were corrected
// unless dry), and the articles stored but not counted (in flight while
// sinks run; zero when they are idle).
type Result struct {
	Diffs     []Diff
	Uncounted int
}

// Diff is one bucket whose journal value differs from the raw truth, or
// (Rollup set) a rollup row or a marker of the ranked lists.
type Diff struct {
	Key     store.BucketKey
	Journal tension.Parts
	Raw     tension.Parts
	Rollup  string // what differs, for a rollup row or a marker
}

func (d Diff) String() string {
	if d.Rollup != "" {
		return d.Rollup
	}
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
	res, err := Check(ctx, st, from, to, dryRun)
	return res.Diffs, err
}

// Check is Run with the count of stored articles the journal does not
// count.
func Check(ctx context.Context, st Store, from, to time.Time, dryRun bool) (Result, error) {
	from, to = Range(from, to)
	var (
		res  Result
		have map[store.BucketKey]tension.Parts
		roll rollupState
	)
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			return res, ErrBusy
		}
		before, err := st.Fingerprint(ctx)
		if err != nil {
			return res, err
		}
		doubled, overlaps, err := st.Unsettled(ctx, from, to)
		if err != nil {
			return res, err
		}
		if doubled+overlaps > 0 {
			return res, fmt.Errorf("%w: %d articles counted twice, %d overlapping ledger ranges", ErrUnsettled, doubled, overlaps)
		}
		minutes, err := st.RawMinutes(ctx, from, to)
		if err != nil {
			return res, err
		}
		if have, err = st.JournalBuckets(ctx, from, to); err != nil {
			return res, err
		}
		if res.Uncounted, err = st.Uncounted(ctx, from, to); err != nil {
			return res, err
		}
		if roll, err = readRollups(ctx, st, from, to); err != nil {
			return res, err
		}
		after, err := st.Fingerprint(ctx)
		if err != nil {
			return res, err
		}
		if before == after {
			res.Diffs = append(Compare(have, Rollup(minutes)), roll.diffs()...)
			break
		}
		select { // a block landed while reading: read again
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(time.Duration(50*(attempt+1)) * time.Millisecond):
		}
	}
	diffs := res.Diffs
	if dryRun || len(diffs) == 0 {
		return res, nil
	}
	deltas := map[store.BucketKey]tension.Parts{}
	for _, d := range diffs {
		if d.Rollup != "" {
			continue
		}
		p := d.Raw
		p.Add(d.Journal.Neg())
		deltas[d.Key] = p
	}
	rollups, markers := roll.deltas()
	if err := st.WriteJournal(ctx, append(store.Rows(deltas), store.RollupRows(rollups, markers)...)); err != nil {
		return res, fmt.Errorf("rebuild: write corrections: %w", err)
	}
	return res, nil
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

// rollupState is the ranked lists' rollups and markers as the journal
// holds them and as the raw rows imply.
type rollupState struct {
	have, want       map[store.RollupKey]store.RollupVal
	haveMark, wantMk map[store.MarkerKey]int64
}

func readRollups(ctx context.Context, st Store, from, to time.Time) (r rollupState, err error) {
	if r.want, err = st.RawRollups(ctx, from, to); err != nil {
		return r, err
	}
	if r.have, err = st.JournalRollups(ctx, from, to); err != nil {
		return r, err
	}
	if r.wantMk, err = st.RawMarkers(ctx, from, to); err != nil {
		return r, err
	}
	r.haveMark, err = st.JournalMarkers(ctx, from, to)
	return r, err
}

// deltas is what makes the journal's rollups and markers equal the raw
// truth's.
func (r rollupState) deltas() (map[store.RollupKey]store.RollupVal, map[store.MarkerKey]int64) {
	rollups := map[store.RollupKey]store.RollupVal{}
	for _, k := range unionKeys(r.have, r.want) {
		h, w := r.have[k], r.want[k]
		if !store.SameRollup(h, w) {
			rollups[k] = store.RollupVal{Entries: w.Entries - h.Entries, Articles: w.Articles - h.Articles, Weight: w.Weight - h.Weight}
		}
	}
	markers := map[store.MarkerKey]int64{}
	for _, k := range unionKeys(r.haveMark, r.wantMk) {
		if d := r.wantMk[k] - r.haveMark[k]; d != 0 {
			markers[k] = d
		}
	}
	return rollups, markers
}

func (r rollupState) diffs() []Diff {
	rollups, markers := r.deltas()
	var out []Diff
	for k := range rollups {
		out = append(out, Diff{Rollup: fmt.Sprintf("%s %q weight bits %d: journal %+v, raw %+v", k.Kind, k.Key, k.Weight, r.have[k], r.want[k])})
	}
	for k := range markers {
		out = append(out, Diff{Rollup: fmt.Sprintf("marker %s %q %q at %s: journal %d, raw %d", k.ID, k.View, k.Version,
			time.Unix(k.Minute, 0).UTC().Format(time.RFC3339), r.haveMark[k], r.wantMk[k])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rollup < out[j].Rollup })
	return out
}

func unionKeys[K comparable, V any](a, b map[K]V) []K {
	out := make([]K, 0, len(a)+len(b))
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
