package backfill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// art is one input row of the window tests: an article named by its URL
// path (the name also sets its id), published at the given time.
func art(name, at string) string {
	return fmt.Sprintf(`{"url":"https://w.example/%s","text":"US and China talk about %s.","published_at":"%s"}`, name, name, at)
}

// writeInputs writes each file's rows as a .jsonl file and returns the
// inputs in order.
func writeInputs(t testing.TB, files ...[]string) []Input {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, rows := range files {
		p := filepath.Join(dir, fmt.Sprintf("f%02d.jsonl", i))
		if err := os.WriteFile(p, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	ins, err := ExpandInputs(paths)
	if err != nil {
		t.Fatal(err)
	}
	return ins
}

type sentArticle struct {
	URL         string    `json:"url"`
	PublishedAt time.Time `json:"published_at"`
}

// names are the names of the published articles, in the order sent.
func names(t testing.TB, msgs []kafka.Message) []string {
	t.Helper()
	out := make([]string, len(msgs))
	for i, m := range msgs {
		var a sentArticle
		if err := json.Unmarshal(m.Value, &a); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		out[i] = strings.TrimPrefix(a.URL, "https://w.example/")
	}
	return out
}

func counts(s Stats) [4]int64 { return [4]int64{s.Read, s.Published, s.Rejected, s.Duplicates} }

func runOnce(t testing.TB, ctx context.Context, cfg Config, w Writer) (Stats, Checkpoint, error) {
	t.Helper()
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	return New(cfg, w, slog.New(slog.DiscardHandler)).Run(ctx)
}

// Seven articles whose published_at are out of order, with ties (b, d, g).
var sevenRows = []string{
	art("a", "2024-03-01T00:00:00Z"), art("b", "2024-01-01T00:00:00Z"), art("c", "2024-02-01T00:00:00Z"),
	art("d", "2024-01-01T00:00:00Z"), art("e", "2023-12-01T00:00:00Z"), art("f", "2024-05-01T00:00:00Z"),
	art("g", "2024-01-01T00:00:00Z"),
}

func TestOrderWindow(t *testing.T) {
	for _, tc := range []struct {
		name          string
		files         [][]string
		window, batch int
		winBytes      int64
		want          string // names in the order published
		writes        []int  // messages per write
		stats         Stats
	}{
		{name: "window 0 is input order", files: [][]string{sevenRows}, window: 0, batch: 100,
			want: "a b c d e f g", writes: []int{7}},
		{name: "window 1 is input order", files: [][]string{sevenRows}, window: 1, batch: 3,
			want: "a b c d e f g", writes: []int{3, 3, 1}},
		{name: "windows of 3, last one partial", files: [][]string{sevenRows}, window: 3, batch: 100,
			want: "b c a e d f g", writes: []int{3, 3, 1}},
		{name: "windows of 4 in writes of 3", files: [][]string{sevenRows}, window: 4, batch: 3,
			want: "b d c a e g f", writes: []int{3, 1, 3}},
		{name: "one window: all sorted, ties in input order", files: [][]string{sevenRows}, window: 100, batch: 2,
			want: "e b d g c a f", writes: []int{2, 2, 2, 1}},
		{name: "a byte bound of 1 is input order", files: [][]string{sevenRows}, window: 100, batch: 100, winBytes: 1,
			want: "a b c d e f g", writes: []int{1, 1, 1, 1, 1, 1, 1}},
		{name: "a window spans files", files: [][]string{sevenRows[:2], sevenRows[2:]}, window: 3, batch: 100,
			want: "b c a e d f g", writes: []int{3, 3, 1}},
		{name: "rejected and repeated rows take no place; the first occurrence wins",
			files: [][]string{{sevenRows[0], "not json", sevenRows[1], art("a", "2020-01-01T00:00:00Z"),
				`{"text":"","published_at":"2024-01-02"}`, sevenRows[2], sevenRows[3]}},
			window: 3, batch: 100, want: "b c a d", writes: []int{3, 1},
			stats: Stats{Read: 7, Published: 4, Rejected: 2, Duplicates: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &memWriter{}
			cfg := Config{Inputs: writeInputs(t, tc.files...), Batch: tc.batch, OrderWindow: tc.window,
				OrderWindowBytes: tc.winBytes, Checkpoint: filepath.Join(t.TempDir(), "ck")}
			st, ck, err := runOnce(t, context.Background(), cfg, w)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(names(t, w.got), " "); got != tc.want {
				t.Errorf("published %s, want %s", got, tc.want)
			}
			if !slices.Equal(w.sizes, tc.writes) {
				t.Errorf("writes %v, want %v", w.sizes, tc.writes)
			}
			want := tc.stats
			if want.Read == 0 {
				want = Stats{Read: 7, Published: 7}
			}
			if counts(st) != counts(want) {
				t.Errorf("stats %+v, want %+v", st, want)
			}
			if !ck.Done || len(ck.DoneFiles) != len(tc.files) || ck.Position != (Pos{}) {
				t.Errorf("final checkpoint %+v", ck)
			}
		})
	}
}

// The byte bound ends a window once its encoded records reach it, before
// the article count does.
func TestOrderWindowByteBound(t *testing.T) {
	ins := writeInputs(t, sevenRows)
	probe := &memWriter{}
	if _, _, err := runOnce(t, context.Background(), Config{Inputs: ins}, probe); err != nil {
		t.Fatal(err)
	}
	size := len(probe.got[0].Key) + len(probe.got[0].Value)
	for _, m := range probe.got {
		if len(m.Key)+len(m.Value) != size {
			t.Fatalf("the rows should encode to one size: %d vs %d", len(m.Key)+len(m.Value), size)
		}
	}
	w := &memWriter{}
	// Three records reach 2*size+1 bytes; two do not.
	cfg := Config{Inputs: ins, Batch: 100, OrderWindow: 100, OrderWindowBytes: int64(2*size + 1)}
	if _, _, err := runOnce(t, context.Background(), cfg, w); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(t, w.got), " "); got != "b c a e d f g" || !slices.Equal(w.sizes, []int{3, 3, 1}) {
		t.Fatalf("published %s in writes %v, want b c a e d f g in 3 3 1", got, w.sizes)
	}
}

// ckSeen is the checkpoint on disk when a write starts; start is the one
// a fresh run writes before it sends anything (position zero).
var start = ckSeen{exists: true}

type ckSeen struct {
	exists    bool
	pos       Pos
	done      []string
	read, pub int64
}

func watchCheckpoint(t *testing.T, path string, w *memWriter) *[]ckSeen {
	var seen []ckSeen
	w.before = func() {
		c, err := LoadCheckpoint(path)
		if err != nil {
			seen = append(seen, ckSeen{})
			return
		}
		seen = append(seen, ckSeen{exists: true, pos: c.Position, done: c.DoneFiles, read: c.Stats.Read, pub: c.Stats.Published})
	}
	return &seen
}

// The checkpoint moves only when a whole window is acknowledged, and then
// counts exactly what was read before its position.
func TestCheckpointAtWindowBoundaries(t *testing.T) {
	synth := func(n, window, batch int, ck string) Config {
		return Config{Synthetic: n, SynthSeed: 3, SynthFrom: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC),
			SynthTo: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Batch: batch, OrderWindow: window, Checkpoint: ck}
	}
	at := func(line int64) ckSeen {
		return ckSeen{exists: true, pos: Pos{File: "synthetic", Line: line}, read: line, pub: line}
	}
	for _, tc := range []struct {
		name          string
		n, window, bs int
		want          []ckSeen
	}{
		{name: "windows of 10 in writes of 4", n: 25, window: 10, bs: 4,
			want: []ckSeen{start, start, start, at(10), at(10), at(10), at(20), at(20)}},
		{name: "input order: after every write", n: 10, window: 0, bs: 4,
			want: []ckSeen{start, at(4), at(8)}},
		{name: "one window bigger than the input", n: 9, window: 100, bs: 4,
			want: []ckSeen{start, start, start}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ck")
			w := &memWriter{}
			seen := watchCheckpoint(t, path, w)
			_, ck, err := runOnce(t, context.Background(), synth(tc.n, tc.window, tc.bs, path), w)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(*seen) != fmt.Sprint(tc.want) {
				t.Errorf("checkpoints at the writes\n got %v\nwant %v", *seen, tc.want)
			}
			if !ck.Done || ck.Position.Line != int64(tc.n) || ck.Stats.Published != int64(tc.n) {
				t.Errorf("final checkpoint %+v", ck)
			}
		})
	}
	t.Run("files: a file is done once the window holding its end is acknowledged", func(t *testing.T) {
		var f1, f2 []string
		for i := range 6 {
			f1 = append(f1, art(fmt.Sprintf("x%d", i), "2024-01-01T00:00:00Z"))
			f2 = append(f2, art(fmt.Sprintf("y%d", i), "2023-01-01T00:00:00Z"))
		}
		ins := writeInputs(t, f1, f2)
		path := filepath.Join(t.TempDir(), "ck")
		w := &memWriter{}
		seen := watchCheckpoint(t, path, w)
		_, ck, err := runOnce(t, context.Background(), Config{Inputs: ins, Batch: 3, OrderWindow: 4, Checkpoint: path}, w)
		if err != nil {
			t.Fatal(err)
		}
		line := func(f int, l int64) Pos {
			off := int64(0)
			rows := [][]string{f1, f2}[f]
			for i := range l {
				off += int64(len(rows[i]) + 1)
			}
			return Pos{File: ins[f].Path, Line: l, Offset: off}
		}
		want := []ckSeen{start, start, // window x0-x3
			{exists: true, pos: line(0, 4), read: 4, pub: 4}, {exists: true, pos: line(0, 4), read: 4, pub: 4}, // x4 x5 y0 y1
			{exists: true, pos: line(1, 2), done: []string{ins[0].Path}, read: 8, pub: 8}, // y2-y5
			{exists: true, pos: line(1, 2), done: []string{ins[0].Path}, read: 8, pub: 8}}
		if fmt.Sprint(*seen) != fmt.Sprint(want) {
			t.Errorf("checkpoints at the writes\n got %v\nwant %v", *seen, want)
		}
		if !ck.Done || !slices.Equal(ck.DoneFiles, []string{ins[0].Path, ins[1].Path}) || ck.Position != (Pos{}) {
			t.Errorf("final checkpoint %+v", ck)
		}
	})
}

// A run that fails mid-window resumes from the last window boundary: every
// article is published, at most one window of them twice, with their ids,
// and the counts of all runs equal those of a run that never failed — also
// when the resumed run uses another window.
func TestResumeWithWindows(t *testing.T) {
	var files [][]string
	for f := range 3 {
		var rows []string
		for i := range 40 {
			switch {
			case i%13 == 5:
				rows = append(rows, "not json")
			case f == 1 && i == 3:
				rows = append(rows, art("f1-2", "2021-01-01T00:00:00Z")) // repeats the row before
			default:
				rows = append(rows, art(fmt.Sprintf("f%d-%d", f, i), fmt.Sprintf("2024-%02d-01T00:00:00Z", 1+(i*7+f)%12)))
			}
		}
		files = append(files, rows)
	}
	ins := writeInputs(t, files...)
	for _, tc := range []struct {
		name                  string
		synthetic             bool
		window, batch, failN  int
		resumeWindow, maxSent int // maxSent: most articles sent twice (one window)
	}{
		{name: "synthetic, input order", synthetic: true, window: 0, batch: 100, failN: 250, resumeWindow: 0, maxSent: 100},
		{name: "synthetic, windows of 50 in writes of 20", synthetic: true, window: 50, batch: 20, failN: 130, resumeWindow: 50, maxSent: 50},
		{name: "synthetic, one window larger than the input", synthetic: true, window: 1000, batch: 50, failN: 175, resumeWindow: 1000, maxSent: 300},
		{name: "synthetic, resumed with another window", synthetic: true, window: 50, batch: 20, failN: 130, resumeWindow: 7, maxSent: 50},
		{name: "files, windows span files", window: 30, batch: 8, failN: 70, resumeWindow: 30, maxSent: 30},
		{name: "files, resumed in input order", window: 30, batch: 8, failN: 50, resumeWindow: 0, maxSent: 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Batch: tc.batch, OrderWindow: tc.window, Checkpoint: filepath.Join(t.TempDir(), "ck")}
			if tc.synthetic {
				cfg.Synthetic, cfg.SynthSeed = 300, 9
				cfg.SynthFrom, cfg.SynthTo = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			} else {
				cfg.Inputs = ins
			}
			clean := &memWriter{}
			want, _, err := runOnce(t, context.Background(), Config{Inputs: cfg.Inputs, Synthetic: cfg.Synthetic,
				SynthSeed: cfg.SynthSeed, SynthFrom: cfg.SynthFrom, SynthTo: cfg.SynthTo, Batch: tc.batch, OrderWindow: tc.window}, clean)
			if err != nil {
				t.Fatal(err)
			}
			w := &memWriter{failN: tc.failN}
			if _, _, err := runOnce(t, context.Background(), cfg, w); err == nil {
				t.Fatal("the first run should fail")
			}
			first := len(w.got)
			w.failN = 0
			cfg.Resume, cfg.OrderWindow = true, tc.resumeWindow
			_, ck, err := runOnce(t, context.Background(), cfg, w)
			if err != nil {
				t.Fatal(err)
			}
			times := map[string]int{}
			for _, m := range w.got {
				times[string(m.Key)]++
			}
			twice := 0
			for k, n := range times {
				if n > 2 {
					t.Errorf("article %s sent %d times", k, n)
				}
				if n == 2 {
					twice++
				}
			}
			if int64(len(times)) != want.Published || twice > tc.maxSent || first == 0 {
				t.Errorf("%d distinct articles published (want %d), %d twice (at most %d), %d in the first run",
					len(times), want.Published, twice, tc.maxSent, first)
			}
			for k := range clean.got {
				if times[string(clean.got[k].Key)] == 0 {
					t.Fatalf("article %s of the clean run never published", clean.got[k].Key)
				}
			}
			if fmt.Sprint(ck.Stats) != fmt.Sprint(want) || !ck.Done {
				t.Errorf("counts of all runs %+v, want %+v (done %v)", ck.Stats, want, ck.Done)
			}
		})
	}
}

// Cancelled in the middle of a window (at a write the fake writer still
// takes, as a broker may acknowledge a write whose caller gave up), the run
// stops before its next write and the checkpoint stays at the last window
// boundary; a resume publishes the rest.
func TestCancelMidWindow(t *testing.T) {
	ck := filepath.Join(t.TempDir(), "ck")
	cfg := Config{Synthetic: 40, SynthSeed: 5, SynthFrom: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC),
		SynthTo: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Batch: 4, OrderWindow: 10, Checkpoint: ck}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &memWriter{}
	calls := 0
	w.before = func() {
		if calls++; calls == 4 { // the first write of the second window
			cancel()
		}
	}
	st, c, err := runOnce(t, ctx, cfg, w)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if st.Read != 20 || st.Published != 14 || len(w.got) != 14 || calls != 4 {
		t.Fatalf("this run: %+v, %d taken in %d writes; want read 20, published 14 in 4", st, len(w.got), calls)
	}
	saved, lerr := LoadCheckpoint(ck)
	if lerr != nil || saved.Position.Line != 10 || saved.Stats.Read != 10 || saved.Stats.Published != 10 || saved.Done || c.Done {
		t.Fatalf("checkpoint %+v (%v), want line 10, read 10, published 10", saved, lerr)
	}
	w.before = nil
	cfg.Resume = true
	_, c, err = runOnce(t, context.Background(), cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for _, m := range w.got {
		distinct[string(m.Key)] = true
	}
	if len(distinct) != 40 || c.Stats.Read != 40 || c.Stats.Published != 40 || !c.Done {
		t.Fatalf("after resume: %d distinct, all runs %+v", len(distinct), c.Stats)
	}
}

// FuzzOrderWindow checks the window's contract on random inputs (bad rows,
// repeated ids, many ties): the articles published are the first
// occurrences; each window — winCap consecutive admitted articles, the last
// one partial — goes out sorted by published_at with ties in input order,
// in writes of at most Batch that never span two windows; the counts are
// exact.
func FuzzOrderWindow(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint8(7), uint8(60))
	f.Add(uint64(2), uint8(1), uint8(3), uint8(40))
	f.Add(uint64(3), uint8(10), uint8(4), uint8(95))
	f.Add(uint64(4), uint8(255), uint8(9), uint8(200))
	f.Add(uint64(5), uint8(16), uint8(16), uint8(33))
	f.Fuzz(func(t *testing.T, seed uint64, window, batch, n uint8) {
		rng := rand.New(rand.NewPCG(seed, 1))
		type row struct {
			name string
			at   time.Time
		}
		var rows []string
		var admitted []row
		var bad, dups int64
		for i := range int(n) {
			switch k := rng.IntN(8); {
			case k == 0:
				rows = append(rows, `{"url":"https://w.example/bad","published_at":"2024-01-01"}`)
				bad++
			case k == 1 && len(admitted) > 0:
				rows = append(rows, art(admitted[rng.IntN(len(admitted))].name, "2020-06-01T00:00:00Z"))
				dups++
			default:
				r := row{name: fmt.Sprintf("r%d", i), at: time.Date(2023, time.Month(1+rng.IntN(3)), 1, 0, 0, 0, 0, time.UTC)}
				rows = append(rows, art(r.name, r.at.Format(time.RFC3339)))
				admitted = append(admitted, r)
			}
		}
		bs := max(1, int(batch))
		capacity := bs
		if window > 1 {
			capacity = int(window)
		}
		var want []string
		var bounds []int // cumulative window ends
		for lo := 0; lo < len(admitted); lo += capacity {
			chunk := slices.Clone(admitted[lo:min(lo+capacity, len(admitted))])
			if window > 1 {
				sort.SliceStable(chunk, func(i, j int) bool { return chunk[i].at.Before(chunk[j].at) })
			}
			for _, r := range chunk {
				want = append(want, r.name)
			}
			bounds = append(bounds, lo+len(chunk))
		}
		w := &memWriter{}
		var ins []Input
		if len(rows) > 0 {
			ins = writeInputs(t, rows)
		}
		st, ck, err := runOnce(t, context.Background(), Config{Inputs: ins, Batch: bs, OrderWindow: int(window),
			Checkpoint: filepath.Join(t.TempDir(), "ck")}, w)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(t, w.got); !slices.Equal(got, want) {
			t.Fatalf("published\n %v\nwant\n %v", got, want)
		}
		sent := 0
		for _, s := range w.sizes {
			next := sent + s
			if s > bs || s == 0 {
				t.Fatalf("a write of %d (batch %d): %v", s, bs, w.sizes)
			}
			// A write ends at or before the end of the window it starts in.
			for _, b := range bounds {
				if sent < b && next > b {
					t.Fatalf("write %d..%d spans the window end %d: %v", sent, next, b, w.sizes)
				}
			}
			sent = next
		}
		wantSt := Stats{Read: int64(n), Published: int64(len(admitted)), Rejected: bad, Duplicates: dups}
		if counts(st) != counts(wantSt) || ck.Stats.Published != wantSt.Published || !ck.Done {
			t.Fatalf("stats %+v, want %+v; checkpoint %+v", st, wantSt, ck)
		}
	})
}
