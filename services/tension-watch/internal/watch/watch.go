// Package watch is what a consumer of tension.index.v1 needs beyond reading
// the topic: keep, per key, the update with the highest revision (the
// topic's delivery is at least once, newest state wins), filter to the pair,
// granularity and view it follows, and print updates for people.
package watch

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/tension-dev/tension/pkg/tension"
)

// Filter selects updates. Interval "" matches every granularity.
type Filter struct {
	Pair, Interval, TaggerVersion string
	AllPairs                      bool
}

// Match reports whether u is one the filter follows.
func (f Filter) Match(u *tension.Update) bool {
	return (f.AllPairs || u.Pair == f.Pair) && (f.Interval == "" || u.Granularity == f.Interval) &&
		u.TaggerVersion == f.TaggerVersion
}

// State is the current index as rebuilt from the topic, for the updates a
// filter follows; safe for use by one goroutine per partition.
type State struct {
	filter  Filter
	mu      sync.Mutex
	buckets map[string]tension.Update
}

// NewState returns an empty state following f.
func NewState(f Filter) *State { return &State{filter: f, buckets: map[string]tension.Update{}} }

// Apply decodes one message and keeps it if the filter follows it and it is
// newer than what the state holds for its key. It returns the update and
// whether it was new; a repeat or an older revision is not (equal revisions
// carry equal content).
func (s *State) Apply(key, value []byte) (tension.Update, bool, error) {
	var u tension.Update
	if err := json.Unmarshal(value, &u); err != nil {
		return u, false, fmt.Errorf("undecodable update: %w", err)
	}
	if !s.filter.Match(&u) {
		return u, false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.buckets[string(key)]; ok && prev.Revision >= u.Revision {
		return u, false, nil
	}
	s.buckets[string(key)] = u
	return u, true, nil
}

// Sorted returns the state in bucket order, then key order.
func (s *State) Sorted() []tension.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.buckets))
	for k := range s.buckets {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := s.buckets[keys[i]], s.buckets[keys[j]]
		if !a.BucketStart.Equal(b.BucketStart) {
			return a.BucketStart.Before(b.BucketStart)
		}
		return keys[i] < keys[j]
	})
	out := make([]tension.Update, len(keys))
	for i, k := range keys {
		out[i] = s.buckets[k]
	}
	return out
}

// Print writes one update: as a JSON line, or as a fixed-width text line.
func Print(w io.Writer, u *tension.Update, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(u)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	idx := "    -"
	if u.TensionIndex != nil {
		idx = fmt.Sprintf("%5.0f", *u.TensionIndex)
	}
	_, err := fmt.Fprintf(w, "%s %-6s %-5s rev %4d  articles %6d  dyad %6d  esc %5d  de-esc %5d  net %+.3f  share %.3f  index %s\n",
		u.BucketStart.Format("2006-01-02T15:04Z"), u.Granularity, u.Pair, u.Revision, u.Articles, u.DyadArticles,
		u.Escalating, u.Deescalating, u.NetTension, u.TensionShare, idx)
	return err
}
