package api

import (
	"time"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// Smoothing is how /v1/index shapes its series: a rolling window summed from
// the additive parts (docs/design.md §4, tension.Rolling) and whether empty
// buckets are listed as gaps.
type Smoothing struct {
	// Window is the rolling window's span (0: none); WindowBuckets the
	// number of buckets it covers, the bucket itself included.
	Window        time.Duration
	WindowBuckets int
	// Fill lists every bucket of the range, empty ones with gap=true and
	// null ratios; without it only buckets holding articles are listed (the
	// answer before windows existed). Default: on with a window, off without.
	Fill bool
}

// MaxWindow bounds window=: a year of buckets before the range is read.
const MaxWindow = 366 * day

// smoothing reads window= (a span: "7d", "30d", "24h") and fill= (gaps or
// none) for interval iv.
func (p params) smoothing(iv Interval) (Smoothing, error) {
	var s Smoothing
	if p.has("window") {
		w, err := parseSpan(p.get("window"))
		if err != nil {
			return s, badRequest("window: %s; e.g. window=7d or window=30d", err)
		}
		if iv == Month {
			return s, badRequest("window: months differ in length, so a rolling window needs interval=minute, hour or day (e.g. interval=day&window=30d)")
		}
		if w > MaxWindow {
			return s, badRequest("window: at most %s (got %s)", spanText(MaxWindow), spanText(w))
		}
		n, err := tension.WindowBuckets(w, iv.rows())
		if err != nil {
			return s, badRequest("window: %s must be a whole number of %s buckets", spanText(w), iv)
		}
		s.Window, s.WindowBuckets, s.Fill = w, n, true
	}
	switch f := p.get("fill"); f {
	case "":
	case "gaps":
		s.Fill = true
	case "none":
		s.Fill = false
	default:
		return s, badRequest("fill: must be gaps or none (got %s)", quoteShort(f))
	}
	return s, nil
}

// readFrom is where the store read starts: WindowBuckets-1 buckets before
// from, so the first bucket shown has a whole window behind it.
func (s Smoothing) readFrom(iv Interval, from time.Time) time.Time {
	if s.WindowBuckets <= 1 {
		return from
	}
	return from.Add(-time.Duration(s.WindowBuckets-1) * iv.rows().Duration())
}

// series turns the sparse buckets the store returned for [readFrom, to) into
// what the response lists for [from, to): dense (one per bucket) when
// filling or windowing, each bucket's parts summed over its window, and
// whether it is a gap (no article in its window).
func (s Smoothing) series(iv Interval, from, to time.Time, buckets []store.Bucket) []seriesBucket {
	if !s.Fill && s.WindowBuckets <= 1 {
		out := make([]seriesBucket, 0, len(buckets))
		for _, b := range buckets {
			if !b.Start.Before(from) {
				out = append(out, seriesBucket{Start: b.Start, Parts: b.Parts})
			}
		}
		return out
	}
	start := s.readFrom(iv, from)
	var starts []time.Time
	for t := start; t.Before(to); t = next(iv, t) {
		starts = append(starts, t)
	}
	parts := make([]tension.Parts, len(starts))
	j := 0
	for i, t := range starts {
		for j < len(buckets) && buckets[j].Start.Before(t) {
			j++
		}
		if j < len(buckets) && buckets[j].Start.Equal(t) {
			parts[i] = buckets[j].Parts
		}
	}
	if s.WindowBuckets > 1 {
		parts = tension.Rolling(parts, s.WindowBuckets)
	}
	out := make([]seriesBucket, 0, len(starts))
	for i, t := range starts {
		if t.Before(from) {
			continue
		}
		gap := parts[i].Articles == 0
		if gap && !s.Fill {
			continue
		}
		out = append(out, seriesBucket{Start: t, Parts: parts[i], Gap: gap})
	}
	return out
}

// seriesBucket is one listed bucket before the ratios are derived.
type seriesBucket struct {
	Start time.Time
	Parts tension.Parts
	Gap   bool
}

// next is the start of the bucket after t.
func next(iv Interval, t time.Time) time.Time {
	if iv == Month {
		return t.AddDate(0, 1, 0)
	}
	return t.Add(iv.rows().Duration())
}

// windowText is the response's window field: "" without one.
func (s Smoothing) windowText() string {
	if s.Window == 0 {
		return ""
	}
	return spanString(s.Window)
}
