//go:build eval

package tageval

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tension-dev/tension/pkg/tagger"
)

// TestDebugArticle prints the tags of the corpus articles whose id contains
// $TAGEVAL_ID (development aid; does nothing without it).
func TestDebugArticle(t *testing.T) {
	id := os.Getenv("TAGEVAL_ID")
	if id == "" {
		return
	}
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(sharedDir(t), "corpus", "*.jsonl"))
	var lines [][]byte
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			lines = append(lines, append([]byte(nil), sc.Bytes()...))
		}
		f.Close()
	}
	for _, line := range lines {
		var a Labeled
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(a.ID, id) {
			continue
		}
		tags := tg.Tag(a.Title, a.Text)
		t.Logf("== %s countries %v relevant %v topics %v", a.ID, tags.Countries, tags.Relevant, tags.Topics)
		for _, e := range tags.Entities {
			t.Logf("   ent %-40q %-6s %-30s %s", e.Text, e.Type, e.Canonical, e.Country)
		}
		for _, d := range tags.Dyads {
			t.Logf("   dyad %s %.2f %s", d.Pair, d.Tension, d.Direction)
			for _, c := range d.Cues {
				t.Logf("      s%-2d %-35q %-9s %s->%s pol %+d w %.2f hedged %v neg %v fut %v bg %v src %q/%s", c.Sentence, c.Text, c.Category, c.Actor, c.Target, c.Polarity, c.Weight, c.Hedged, c.Negated, c.Future, c.Background, c.Source, c.SourceType)
			}
		}
	}
}
