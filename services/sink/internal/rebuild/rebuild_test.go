package rebuild

import (
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

func TestRange(t *testing.T) {
	f, to := Range(time.Date(2025, 4, 9, 13, 0, 0, 0, time.UTC), time.Date(2025, 4, 10, 0, 0, 1, 0, time.UTC))
	if !f.Equal(time.Date(2025, 4, 9, 0, 0, 0, 0, time.UTC)) || !to.Equal(time.Date(2025, 4, 11, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("Range = %v, %v", f, to)
	}
	_, to = Range(f, time.Date(2025, 4, 10, 0, 0, 0, 0, time.UTC))
	if !to.Equal(time.Date(2025, 4, 10, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("aligned end moved: %v", to)
	}
}

func TestRollupAndCompare(t *testing.T) {
	m1 := time.Date(2025, 4, 9, 13, 5, 0, 0, time.UTC).Unix()
	m2 := time.Date(2025, 4, 9, 14, 5, 0, 0, time.UTC).Unix()
	minutes := map[store.BucketKey]tension.Parts{
		key(tension.Minute, m1): {Articles: 2},
		key(tension.Minute, m2): {Articles: 3},
	}
	truth := Rollup(minutes)
	day := key(tension.Day, time.Date(2025, 4, 9, 0, 0, 0, 0, time.UTC).Unix())
	if truth[day].Articles != 5 {
		t.Fatalf("day = %+v, want 5 articles", truth[day])
	}
	if len(truth) != 2+2+1 {
		t.Fatalf("rollup has %d buckets, want 5", len(truth))
	}
	if d := Compare(truth, truth); len(d) != 0 {
		t.Fatalf("identical maps differ: %v", d)
	}
	have := map[store.BucketKey]tension.Parts{day: {Articles: 6}}
	diffs := Compare(have, truth)
	// The day is off by one; the two minutes and two hours are missing.
	if len(diffs) != 5 {
		t.Fatalf("diffs = %v", diffs)
	}
}

func key(g tension.Granularity, bucket int64) store.BucketKey {
	return store.BucketKey{Granularity: g, Pair: "*", Bucket: bucket}
}
