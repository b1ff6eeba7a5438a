package journal

import (
	"bufio"
	"crypto/sha256"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/rows.golden from the current code")

// goldenFile holds, per batch and output, the count and SHA-256 of the rows
// (one digest per kind): the rows the builder wrote when the file was made.
const goldenFile = "testdata/rows.golden"

// TestRowsGolden pins the exact rows (every field, floats to the bit, and
// their order) of Rows, Pointers, RollupRows, BucketRows and Compensation
// for synthetic batches over a day and over two years, with recounts,
// older versions, duplicates and retractions of versions counted by an
// earlier block, and for small random batches (before 1970 too). It lets
// the builder be made cheaper with proof that its output did not change.
// The digests depend on pkg/synth and the tagger as well: when either
// changes, check with the journal's other tests that the builder is right
// and rewrite the file (go test -run TestRowsGolden -update).
func TestRowsGolden(t *testing.T) {
	var got []string
	for _, span := range []struct {
		name string
		span time.Duration
	}{{"day", 24 * time.Hour}, {"two-years", 2 * 365 * 24 * time.Hour}} {
		got = append(got, goldenBlocks(t, span.name, syntheticBatch(t, 1500, span.span))...)
	}
	got = append(got, goldenRandom()...)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(goldenFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenFile, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("%v (make it with -update from a builder known to be right)", err)
	}
	want := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, g, w)
		}
	}
}

// goldenBlocks counts arts in a first block (a second version of some, an
// older one of others, duplicates, ranges) and a second block that recounts
// some of them under a newer version (retracting the first block's
// versions), and digests every output of both.
func goldenBlocks(t *testing.T, name string, arts []*event.Enriched) []string {
	t.Helper()
	b := NewBuilder()
	b.Grow(len(arts))
	priors := map[string]*Prior{}
	stored := map[VersionRef]*Tags{}
	count := func(b *Builder, e *event.Enriched) {
		b.Count(e, priors)
		stored[VersionRef{e.ArticleID, e.TaggerVersion}] = TagsOf(e)
	}
	for _, e := range arts {
		count(b, e)
	}
	for i, e := range arts[:len(arts)/5] {
		again := *e
		switch i % 4 {
		case 0: // a newer version with fewer entities
			again.TaggerVersion = "tagger-9.0.0"
			again.Entities = again.Entities[:len(again.Entities)/2]
		case 1: // a newer version one minute later, without dyads
			again.TaggerVersion = "tagger-1.3.0"
			again.PublishedAt = again.EventTime().Add(time.Minute)
			again.Dyads = nil
		case 2: // an older version, late
			again.TaggerVersion = "tagger-0.9.0"
		case 3: // a duplicate
		}
		count(b, &again)
	}
	b.Cover("enriched@1", 2, 10, 20)
	b.Cover("enriched@1", 0, 5, 9)
	b.Cover("enriched@1", 0, 9, 30+2*MaxRange)
	out := goldenOutputs(name+"/1", b, stored)

	// A later block recounts a tenth of the articles: the versions the
	// first block counted come out of the current view (Pending, Retract).
	b2 := NewBuilder()
	for i, e := range arts[len(arts)/2 : len(arts)/2+len(arts)/10] {
		again := *e
		again.TaggerVersion = "tagger-10.0.0"
		if i%2 == 0 { // at another time: a pointer from the old version's
			again.PublishedAt = again.EventTime().Add(-time.Hour)
		}
		count(b2, &again)
	}
	b2.Cover("enriched@1", 1, 100, 200)
	pending := map[VersionRef]*Tags{}
	for _, p := range b2.Pending() {
		pending[p.VersionRef] = stored[p.VersionRef]
	}
	b2.Retract(pending)
	return append(out, goldenOutputs(name+"/2", b2, stored)...)
}

// goldenRandom digests blocks of random articles of a dozen ids under
// three versions, some before 1970 (TestBlockRowsOfRandomBatches).
func goldenRandom() []string {
	r := rand.New(rand.NewPCG(5, 11))
	var out []string
	for round := range 20 {
		b := NewBuilder()
		priors := map[string]*Prior{}
		stored := map[VersionRef]*Tags{}
		for range 60 {
			e := randomTagged(r, []string{"v1", "v2", "v3"}[r.IntN(3)])
			if r.IntN(4) == 0 {
				e.PublishedAt = time.Date(1969, 12, 31, 23, 59, 30, 0, time.UTC).Add(time.Duration(r.IntN(3)) * 20 * time.Hour)
			}
			b.Count(e, priors)
			stored[VersionRef{e.ArticleID, e.TaggerVersion}] = TagsOf(e)
		}
		out = append(out, goldenOutputs(fmt.Sprintf("random/%d", round), b, stored)...)
	}
	return out
}

// goldenOutputs builds the block's rows (which ends the builder's use) and
// digests them with what is derived from them.
func goldenOutputs(name string, b *Builder, stored map[VersionRef]*Tags) []string {
	rows := b.Rows("0000000042-g")
	articles, ranges := articlesAndRanges(rows)
	var pointers []string
	for _, p := range b.Pointers() {
		pointers = append(pointers, fmt.Sprintf("%s %s %s", p.ID, timeText(p.At), p.Version))
	}
	out := digestRows(name+" Rows", rows)
	out = append(out, digestLines(name+" Pointers", pointers))
	out = append(out, digestRows(name+" RollupRows", RollupRows(articles, stored))...)
	out = append(out, digestRows(name+" BucketRows", BucketRows(articles))...)
	return append(out, digestRows(name+" Compensation", Compensation("0000000042-g", articles, ranges, stored))...)
}

// digestRows digests rows as a whole and per kind (to tell which kind
// changed).
func digestRows(name string, rows []Row) []string {
	var all []string
	byKind := map[string][]string{}
	for _, r := range rows {
		l := rowLine(&r)
		all = append(all, l)
		byKind[r.Kind] = append(byKind[r.Kind], l)
	}
	out := []string{digestLines(name, all)}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		out = append(out, digestLines(name+" "+k, byKind[k]))
	}
	return out
}

// rowLine is every field of r, floats as their bits and times as
// nanoseconds and location. The cell and the marker (migrations 0015 and
// 0016) are appended only when set, so the lines of rows without one read as they did before it.
func rowLine(r *Row) string {
	p := r.Parts
	l := fmt.Sprintf("%q %q %q %q %q %s %d %d %d %d %q %t %d %d %d %d %d %x %x",
		r.Kind, r.Key, r.Granularity, r.Pair, r.TaggerVersion, timeText(r.Bucket),
		r.SrcPartition, r.SrcOffset, r.Position, r.Entries, r.Block, r.InCurrent,
		p.Articles, p.DyadArticles, p.Escalating, p.Deescalating, p.Mixed,
		math.Float64bits(p.SumScore), math.Float64bits(p.SumWeight))
	if r.Cell != "" {
		l += fmt.Sprintf(" cell %q", r.Cell)
	}
	if r.Marker != "" {
		l += fmt.Sprintf(" marker %q", r.Marker)
	}
	return l
}

// timeText is t to the nanosecond, and its location.
func timeText(t time.Time) string {
	return fmt.Sprintf("%d.%09d@%s", t.Unix(), t.Nanosecond(), t.Location())
}

// digestLines is one line of the golden file: name, count and SHA-256.
func digestLines(name string, lines []string) string {
	h := sha256.New()
	w := bufio.NewWriter(h)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	w.Flush()
	return fmt.Sprintf("%s %d %x", name, len(lines), h.Sum(nil))
}
