// Package state is what the follower remembers across restarts, per feed:
// the validators for conditional GET (ETag, Last-Modified), which items it
// has published (hashed keys with the time first seen), page attempts of
// items still pending, and its schedule and health. It lives in one small
// JSON file, rewritten atomically (a temporary file, fsync, rename, fsync
// of the directory) after every poll that changed it, so a crash leaves
// either the old file or the new one, never a torn one.
//
// The file is the follower's memory, not the truth: an item is recorded as
// published only after Kafka acknowledged its article, so a crash between
// the two publishes that item again on the next poll, and its stable
// article id makes the sink count it once (at least once into Kafka,
// exactly once in the index).
package state

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Version of the file format.
const Version = 1

// Feed is the state of one feed, keyed by its URL.
type Feed struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Seen maps the hash of each published (or dead-lettered) item's key
	// to the Unix time it was first seen.
	Seen map[string]int64 `json:"seen,omitempty"`
	// Attempts counts failed page fetches of items not yet published.
	Attempts    map[string]int `json:"attempts,omitempty"`
	Failures    int            `json:"failures,omitempty"` // consecutive failed polls
	NextPoll    time.Time      `json:"next_poll,omitzero"`
	LastPoll    time.Time      `json:"last_poll,omitzero"`
	LastSuccess time.Time      `json:"last_success,omitzero"`
	LastError   string         `json:"last_error,omitempty"`
}

// Hash is the form an item key is stored in: 16 characters of its SHA-256.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// Has reports whether the item with this key hash was published.
func (f *Feed) Has(hash string) bool {
	_, ok := f.Seen[hash]
	return ok
}

// Mark records an item as published (or dead-lettered) at now.
func (f *Feed) Mark(hash string, now time.Time) {
	if f.Seen == nil {
		f.Seen = map[string]int64{}
	}
	if _, ok := f.Seen[hash]; !ok {
		f.Seen[hash] = now.Unix()
	}
	delete(f.Attempts, hash)
}

// Prune forgets items that are no longer in the feed (not in current)
// and were first seen before now-keep, then the oldest beyond maxKeys.
// An item forgotten and listed again is published again: harmless, the
// sink counts its article once.
func (f *Feed) Prune(current map[string]bool, now time.Time, keep time.Duration, maxKeys int) {
	cutoff := now.Add(-keep).Unix()
	for h, t := range f.Seen {
		if !current[h] && t < cutoff {
			delete(f.Seen, h)
		}
	}
	for h := range f.Attempts {
		if !current[h] {
			delete(f.Attempts, h)
		}
	}
	if len(f.Seen) <= maxKeys {
		return
	}
	type kv struct {
		h string
		t int64
	}
	all := make([]kv, 0, len(f.Seen))
	for h, t := range f.Seen {
		all = append(all, kv{h, t})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].t < all[j].t || all[i].t == all[j].t && all[i].h < all[j].h })
	for _, e := range all[:len(all)-maxKeys] {
		delete(f.Seen, e.h)
	}
}

type file struct {
	Version int              `json:"version"`
	Feeds   map[string]*Feed `json:"feeds"`
}

// Store is the state file. It is safe for concurrent use.
type Store struct {
	path string
	mu   sync.Mutex
	f    file
}

// ErrCorrupt is matched when the file exists but cannot be read as state.
var ErrCorrupt = errors.New("state file is corrupt")

// Open reads the state at path; a missing file is an empty state (a first
// start). A file that cannot be read is an error, never silently replaced:
// starting afresh publishes every feed's current items again.
func Open(path string) (*Store, error) {
	s := &Store{path: path, f: file{Version: Version, Feeds: map[string]*Feed{}}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	s.f = file{}
	if err := json.Unmarshal(b, &s.f); err != nil || s.f.Feeds == nil {
		if err == nil {
			err = errors.New(`no "feeds"`)
		}
		return nil, fmt.Errorf("%w: %s: %v (move it away to start afresh: every feed's current items are then published again, and the sink counts each article once)", ErrCorrupt, path, err)
	}
	if s.f.Version != Version {
		return nil, fmt.Errorf("%w: %s has version %d, this follower reads %d", ErrCorrupt, path, s.f.Version, Version)
	}
	return s, nil
}

// Path is where the state is kept.
func (s *Store) Path() string { return s.path }

// Feed returns a copy of the state of the feed at url (zero if unknown).
func (s *Store) Feed(url string) Feed {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.f.Feeds[url]
	if f == nil {
		return Feed{}
	}
	c := *f
	c.Seen = make(map[string]int64, len(f.Seen))
	for k, v := range f.Seen {
		c.Seen[k] = v
	}
	c.Attempts = make(map[string]int, len(f.Attempts))
	for k, v := range f.Attempts {
		c.Attempts[k] = v
	}
	return c
}

// Put replaces the state of the feed at url and writes the file.
func (s *Store) Put(url string, f Feed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.Feeds[url] = &f
	return s.save()
}

// Retain forgets the feeds not in urls (removed from the sources file)
// and writes the file if that changed it.
func (s *Store) Retain(urls []string) error {
	keep := map[string]bool{}
	for _, u := range urls {
		keep[u] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for u := range s.f.Feeds {
		if !keep[u] {
			delete(s.f.Feeds, u)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return s.save()
}

// save writes the file atomically; s.mu is held.
func (s *Store) save() error {
	b, err := json.Marshal(&s.f)
	if err != nil {
		return fmt.Errorf("state: encode: %w", err)
	}
	return WriteAtomic(s.path, b)
}

// WriteAtomic replaces path with data so that a crash at any point leaves
// the old file or the new one: a temporary file beside it is written and
// synced, renamed over path, and the directory synced.
func WriteAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("state: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("state: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state: close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename itself durable; not every file system supports it
		d.Close()
	}
	return nil
}
