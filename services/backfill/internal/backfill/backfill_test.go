package backfill

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/synth"
)

type memWriter struct {
	got    []kafka.Message
	sizes  []int  // messages per accepted write
	failN  int    // fail the write after this many messages were taken (0 = never)
	before func() // called at every write, before it is taken
}

func (w *memWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	if w.before != nil {
		w.before()
	}
	if w.failN > 0 && len(w.got)+len(msgs) > w.failN {
		return errors.New("broker gone")
	}
	w.got = append(w.got, msgs...)
	w.sizes = append(w.sizes, len(msgs))
	return nil
}

func writeFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	jsonl := `{"url":"https://a.example/1","text":"US and China talk.","published_at":"2024-01-02T03:04:05Z"}
{"url":"https://a.example/2","text":"Tariffs.","published_at":"2024-01-02"}
not json
{"url":"https://a.example/1","text":"US and China talk.","published_at":"2024-01-02T03:04:05Z"}
{"text":"","published_at":"2024-01-02"}
`
	os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte(jsonl), 0o644)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"url":"https://b.example/1","text":"Sanctions.","published_at":"2023-05-06T00:00:00Z"}` + "\n"))
	zw.Close()
	os.WriteFile(filepath.Join(dir, "b.ndjson.gz"), gz.Bytes(), 0o644)
	csv := "link,body,date\nhttps://c.example/1,\"Export controls, again.\",2022-02-03T00:00:00Z\nhttps://c.example/2,,2022-02-03\n"
	os.WriteFile(filepath.Join(dir, "c.csv"), []byte(csv), 0o644)
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("skipped"), 0o644)
	return dir
}

func TestFilesValidateDedupAndReport(t *testing.T) {
	dir := writeFiles(t)
	ins, err := ExpandInputs([]string{dir})
	if err != nil || len(ins) != 3 {
		t.Fatalf("inputs %v, %v", ins, err)
	}
	cols, _ := ParseColumns("url=link,text=body,published_at=date")
	var out bytes.Buffer
	w := &memWriter{}
	st, _, err := New(Config{Inputs: ins, Columns: cols, Progress: &out, Checkpoint: filepath.Join(t.TempDir(), "ck")},
		w, slog.New(slog.DiscardHandler)).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 8 || st.Published != 4 || st.Rejected != 3 || st.Duplicates != 1 {
		t.Fatalf("stats %+v\n%s", st, out.String())
	}
	for _, want := range []string{"a.jsonl:3", "a.jsonl:5", "c.csv:3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %s:\n%s", want, out.String())
		}
	}
	if !bytes.Contains(w.got[0].Value, []byte(`"published_at":"2024-01-02T03:04:05Z"`)) {
		t.Errorf("event time not kept: %s", w.got[0].Value)
	}
}

// A run that dies mid-way resumes from its checkpoint and publishes every
// article exactly once over both runs.
func TestSyntheticResume(t *testing.T) {
	ck := filepath.Join(t.TempDir(), "ck")
	cfg := Config{Synthetic: 1000, SynthSeed: 7, SynthFrom: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC),
		SynthTo: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Batch: 100, Checkpoint: ck, Progress: io.Discard}
	w := &memWriter{failN: 450}
	if _, _, err := New(cfg, w, slog.New(slog.DiscardHandler)).Run(context.Background()); err == nil {
		t.Fatal("first run should fail")
	}
	first := len(w.got)
	w.failN = 0
	cfg.Resume = true
	st, c, err := New(cfg, w, slog.New(slog.DiscardHandler)).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range w.got {
		if seen[string(m.Key)] {
			t.Fatalf("article %s published twice", m.Key)
		}
		seen[string(m.Key)] = true
	}
	if len(seen) != 1000 || first != 400 || st.Published != 600 || c.Stats.Published != 1000 || !c.Done {
		t.Fatalf("published %d (first run %d, second %d, total %d, done %v)", len(seen), first, st.Published, c.Stats.Published, c.Done)
	}
}

// A synthetic run publishes, in input order, exactly the records the
// generator's articles make when encoded by encoding/json and admitted as
// ingest admits them: the encoding backfill writes its articles in first
// (synth.Article.AppendJSON, one buffer for all) changes no byte of them.
func TestSyntheticPublishesTheGeneratorsArticles(t *testing.T) {
	const n = 3000
	from, to := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	cfg := Config{Synthetic: n, SynthSeed: 11, SynthFrom: from, SynthTo: to, Batch: 500, OrderWindow: 1,
		Checkpoint: filepath.Join(t.TempDir(), "ck"), Progress: io.Discard, Now: func() time.Time { return now }}
	w := &memWriter{}
	if _, _, err := runOnce(t, context.Background(), cfg, w); err != nil {
		t.Fatal(err)
	}
	if len(w.got) != n {
		t.Fatalf("published %d of %d", len(w.got), n)
	}
	gen := synth.New(11, from, to)
	for i := range n {
		data, err := json.Marshal(gen.Next())
		if err != nil {
			t.Fatal(err)
		}
		a, err := event.DecodeArticle(data, event.DecodeOptions{Now: now})
		if err != nil {
			t.Fatalf("article %d: %v", i, err)
		}
		want, err := event.EncodeArticle(&a, now, event.MaxArticleBytes)
		if err != nil {
			t.Fatalf("article %d: %v", i, err)
		}
		if got := w.got[i]; !bytes.Equal(got.Key, want.Key) || !bytes.Equal(got.Value, want.Value) {
			t.Fatalf("article %d differs:\n got %s %s\nwant %s %s", i, got.Key, got.Value, want.Key, want.Value)
		}
	}
}
