package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDistMatchesSources: the committed dashboard build (dist/) was made
// from the web/ sources as they are now. `make web` records the SHA-256 of
// every source file in dist/SOURCES when it builds; a change to web/ without
// a rebuild fails here with what changed.
func TestDistMatchesSources(t *testing.T) {
	stamp, err := fs.ReadFile(FS(), "SOURCES")
	if err != nil {
		t.Fatalf("dist/SOURCES missing: run `make web` and commit dist/ (%v)", err)
	}
	root := filepath.Join("..", "..", "..", "..", "web")
	var lines []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		sum := sha256.Sum256(b)
		lines = append(lines, hex.EncodeToString(sum[:])+"  ./"+filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i][66:] < lines[j][66:] })
	got := strings.Join(lines, "\n") + "\n"
	if got != string(stamp) {
		t.Fatalf("web/ changed since dist/ was built: run `make web` and commit dist/\nsources now:\n%s\ndist/SOURCES:\n%s", got, stamp)
	}
	if _, err := fs.ReadFile(FS(), "index.html"); err != nil {
		t.Fatalf("dist/index.html: %v", err)
	}
}
