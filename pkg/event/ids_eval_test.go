//go:build eval

package event

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpusURLIDs measures on the shared corpus (make eval) what docs/ids.md
// states: how many canonical forms the URL rules changed, each of a
// documented kind; corpus URLs that are one page now are listed.
func TestCorpusURLIDs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(os.Getenv("TENSION_SHARED"), "corpus", "*.jsonl"))
	if len(files) == 0 {
		t.Fatal("no corpus: set TENSION_SHARED (make eval does)")
	}
	kinds := map[string]int{}
	byNew := map[string]string{}
	n := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var a struct{ URL string }
			if json.Unmarshal(sc.Bytes(), &a) != nil || a.URL == "" {
				continue
			}
			n++
			c, old := CanonicalURL(a.URL), legacyCanonicalURL(a.URL)
			if prev, ok := byNew[c]; ok && prev != a.URL {
				t.Logf("one page now: %s and %s", prev, a.URL)
			}
			byNew[c] = a.URL
			if c == old {
				continue
			}
			path := strings.SplitN(strings.SplitN(a.URL, "#", 2)[0], "?", 2)[0]
			switch {
			case strings.HasPrefix(strings.ToLower(a.URL), "http:"):
				kinds["http://"]++
			case strings.HasSuffix(path, "/") && strings.Count(path, "/") > 3:
				kinds["trailing slash"]++
			default:
				kinds["other"]++
				t.Errorf("changed for no documented reason: %s (%s -> %s)", a.URL, old, c)
			}
		}
		fh.Close()
	}
	t.Logf("%d corpus URLs; canonical forms changed: %v", n, kinds)
}
