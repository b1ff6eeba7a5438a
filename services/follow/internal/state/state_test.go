package state

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 4, 10, 8, 0, 0, 0, time.UTC)
	f := s.Feed("https://a.test/rss")
	f.ETag, f.LastModified, f.LastSuccess = `"v1"`, "Thu, 10 Apr 2025 08:00:00 GMT", now
	f.Mark(Hash("g:1"), now)
	f.Attempts = map[string]int{Hash("g:2"): 1}
	if err := s.Put("https://a.test/rss", f); err != nil {
		t.Fatal(err)
	}
	// The copy handed out is not the stored one.
	c := s.Feed("https://a.test/rss")
	c.Seen["x"] = 1

	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	g := s2.Feed("https://a.test/rss")
	if g.ETag != `"v1"` || !g.Has(Hash("g:1")) || g.Has("x") || g.Attempts[Hash("g:2")] != 1 || !g.LastSuccess.Equal(now) {
		t.Fatalf("reloaded %+v", g)
	}
	for name, want := range map[string]os.FileMode{path: 0o700, filepath.Join(path, Hash("https://a.test/rss")+".json"): 0o600} {
		if st, err := os.Stat(name); err != nil || st.Mode().Perm() != want {
			t.Fatalf("%s: %v %v, want mode %v", name, st, err, want)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(path, ".*.tmp-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
	if err := s2.Retain([]string{"https://b.test/"}); err != nil {
		t.Fatal(err)
	}
	if s3, _ := Open(path); s3.Feed("https://a.test/rss").ETag != "" {
		t.Fatal("a feed removed from the sources file kept its state")
	}
	if files, _ := os.ReadDir(path); len(files) != 0 {
		t.Fatalf("files left after Retain: %v", files)
	}
}

// A write cut short by a crash leaves a temporary file beside the intact
// one: the next start removes it and reads the intact one.
func TestCrashLeftoversRemoved(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	if err := s.Put("https://a.test/rss", Feed{ETag: "x"}); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "."+Hash("https://a.test/rss")+".json.tmp-123")
	os.WriteFile(tmp, []byte(`{"version":2,"url":"https://a.te`), 0o600)
	s, err := Open(dir)
	if err != nil || s.Feed("https://a.test/rss").ETag != "x" {
		t.Fatalf("%v %+v", err, s)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("leftover kept: %v", err)
	}
}

func TestCorruptFileIsAnError(t *testing.T) {
	const u = "https://a.test/rss"
	for name, content := range map[string]string{"garbage": "{not json", "truncated": `{"version":2,"url":"https://a.test/rss","feed":{"etag":"x"`,
		"other version": `{"version":9,"url":"https://a.test/rss","feed":{}}`, "no feed": `{"version":2,"url":"https://a.test/rss"}`,
		"another feed's": `{"version":2,"url":"https://b.test/rss","feed":{}}`} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, Hash(u)+".json"), []byte(content), 0o600)
		if _, err := Open(dir); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	file := filepath.Join(t.TempDir(), "state.json")
	os.WriteFile(file, []byte(`{"version":1,"feeds":{}}`), 0o600)
	if _, err := Open(file); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("a file for the state directory: %v", err)
	}
}

func TestMarkAndPrune(t *testing.T) {
	now := time.Date(2025, 4, 10, 8, 0, 0, 0, time.UTC)
	var f Feed
	for i, key := range []string{"a", "b", "c", "d"} {
		f.Mark(Hash(key), now.Add(-time.Duration(40-i)*24*time.Hour)) // 40, 39, 38, 37 days ago
	}
	f.Mark(Hash("e"), now)
	f.Mark(Hash("e"), now.Add(time.Hour)) // first seen is kept
	if f.Seen[Hash("e")] != now.Unix() {
		t.Fatal("Mark moved the first-seen time")
	}
	f.Attempts = map[string]int{Hash("gone"): 2, Hash("b"): 1}
	current := map[string]bool{Hash("b"): true, Hash("e"): true}
	f.Prune(current, now, 30*24*time.Hour, 100)
	if len(f.Seen) != 2 || !f.Has(Hash("b")) || !f.Has(Hash("e")) {
		t.Fatalf("after prune: %v (old items not in the feed go, items in the feed stay)", f.Seen)
	}
	if len(f.Attempts) != 1 {
		t.Fatalf("attempts %v", f.Attempts)
	}
	for i := range 10 {
		f.Mark(Hash(string(rune('k'+i))), now.Add(time.Duration(i)*time.Second))
	}
	f.Prune(map[string]bool{}, now, 30*24*time.Hour, 5)
	if len(f.Seen) != 5 || !f.Has(Hash(string(rune('k'+9)))) || f.Has(Hash("b")) {
		t.Fatalf("cap: %d kept", len(f.Seen))
	}
}

// A reader (a restart after a crash) sees the old file or the new one,
// never a mix: WriteAtomic renames only a complete, synced file.
func TestWriteAtomicNeverTorn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	a, b := bytes.Repeat([]byte("a"), 1<<20), bytes.Repeat([]byte("b"), 1<<20)
	if err := WriteAtomic(path, a); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			if err := WriteAtomic(path, [][]byte{a, b}[i%2]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	reads := 0
	for {
		select {
		case <-done:
			if reads == 0 {
				t.Fatal("no reads")
			}
			return
		default:
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, a) && !bytes.Equal(got, b) {
			t.Fatalf("read a torn file of %d bytes", len(got))
		}
		reads++
	}
}
