package tageval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tagger"
)

func TestRunTag(t *testing.T) {
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	in := strings.Join([]string{
		`{"id":"a","url":"https://example.com/x","text":"Washington raised tariffs on Chinese goods and Beijing retaliated against the U.S."}`,
		`not json`,
		`{"id":7,"title":"t"}`,
		``,
		`{"text":"China and the United States agreed to cut tariffs."}`,
	}, "\n")
	var out bytes.Buffer
	if err := RunTag(context.Background(), tg, strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d lines, want 5:\n%s", len(lines), out.String())
	}
	var first struct {
		ID            string `json:"id"`
		ArticleID     string `json:"article_id"`
		TaggerVersion string `json:"tagger_version"`
		event.Tags
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.ID != "a" || first.ArticleID != event.ArticleID("https://example.com/x", "") || first.TaggerVersion != tagger.Version {
		t.Errorf("first line = %s", lines[0])
	}
	if strings.Join(first.Countries, ",") != "CN,US" || len(first.Dyads) == 0 {
		t.Errorf("first line tags = %s", lines[0])
	}
	for i, want := range map[int]string{1: `"error"`, 2: `"id":7`, 3: `"error"`} {
		if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], `"error"`) {
			t.Errorf("line %d = %s, want an error line containing %s", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[4], `"article_id"`) || strings.Contains(lines[4], `"error"`) {
		t.Errorf("line 4 = %s", lines[4])
	}
}

func TestSpearman(t *testing.T) {
	if got := Spearman([]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}); got < 0.999 {
		t.Errorf("perfect = %v", got)
	}
	if got := Spearman([]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}); got > -0.999 {
		t.Errorf("inverse = %v", got)
	}
	if got := Spearman([]float64{0, 0, 1}, []float64{0, 1, 1}); got <= 0 {
		t.Errorf("ties = %v", got)
	}
}

// TestRunTagStopsWhenCanceled: a canceled context ends RunTag promptly even
// while it waits for input that never comes, after writing the lines done.
func TestRunTagStopsWhenCanceled(t *testing.T) {
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- RunTag(ctx, tg, pr, &out) }()
	if _, err := pw.Write([]byte(`{"id":"a","text":"Washington raised tariffs on Chinese goods."}` + "\n")); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("RunTag = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunTag did not return after its context was canceled")
	}
	if s := out.String(); s != "" && !strings.Contains(s, `"id":"a"`) {
		t.Errorf("output = %q", s)
	}
}

// TestRunTagOverBudget: an article over the tagger's work budget gets an
// error line naming the budget, and the next one is tagged.
func TestRunTagOverBudget(t *testing.T) {
	tg, err := tagger.NewWithOptions(tagger.Options{WorkPerByte: 1})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Washington raised tariffs on Chinese goods and Beijing vowed to retaliate. ", 2000)
	in := `{"id":"big","text":"` + long + `"}` + "\n" + `{"id":"small","text":"Washington raised tariffs on Chinese goods."}` + "\n"
	var out bytes.Buffer
	if err := RunTag(context.Background(), tg, strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"id":"big","error":"tagger: article exceeds the work budget`) || !strings.Contains(lines[1], `"dyads"`) {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestRunTagEchoesIDsAsValidJSON: an id with invalid UTF-8 is echoed with
// U+FFFD, so every output line is valid JSON (and valid UTF-8) for strict
// readers, whether the line is tagged or an error.
func TestRunTagEchoesIDsAsValidJSON(t *testing.T) {
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	in := "{\"id\":\"a\xff\xfeb\",\"text\":\"Tariffs rose.\"}\n{\"id\":\"c\xc3\",\"title\":\"no text\"}\n{\"id\":[\"d\xff\"],\"text\":5}\n"
	var out bytes.Buffer
	if err := RunTag(context.Background(), tg, strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	wantIDs := []any{"a\uFFFD\uFFFDb", "c\uFFFD", []any{"d\uFFFD"}}
	if len(lines) != len(wantIDs) {
		t.Fatalf("got %d lines:\n%s", len(lines), out.String())
	}
	for i, l := range lines {
		if !utf8.ValidString(l) || !json.Valid([]byte(l)) {
			t.Fatalf("line %d is not valid UTF-8 JSON: %q", i, l)
		}
		var v struct {
			ID any `json:"id"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(v.ID) != fmt.Sprint(wantIDs[i]) {
			t.Errorf("line %d id = %#v, want %#v", i, v.ID, wantIDs[i])
		}
	}
}

// TestRunTagRecycledLines: lines read into the buffers of earlier lines
// (long, short, empty, too long for a short buffer), in batches of any
// size, are tagged as each line alone is.
func TestRunTagRecycledLines(t *testing.T) {
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(filepath.Join("..", "..", "samples", "articles.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(in)), "\n")
	for i := range lines {
		lines[i] += "\n"
	}
	// shortest and longest alternate, with empty and malformed lines between
	slices.SortFunc(lines, func(a, b string) int { return len(a) - len(b) })
	var mixed []string
	for i, j := 0, len(lines)-1; i <= j; i, j = i+1, j-1 {
		mixed = append(mixed, lines[j], "\n", lines[i], "{\"text\":\n")
	}
	var want strings.Builder
	for _, l := range mixed {
		if err := RunTag(context.Background(), tg, strings.NewReader(l), &want); err != nil {
			t.Fatal(err)
		}
	}
	// in one read, and in reads of a byte or a few (batches of other sizes)
	for name, r := range map[string]io.Reader{
		"whole":  strings.NewReader(strings.Join(mixed, "")),
		"byte":   iotest.OneByteReader(strings.NewReader(strings.Join(mixed, ""))),
		"halves": iotest.HalfReader(strings.NewReader(strings.Join(mixed, ""))),
	} {
		var got strings.Builder
		if err := RunTag(context.Background(), tg, r, &got); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("%s: tagged together, the lines differ from each tagged alone:\n%s\nwant\n%s", name, got.String(), want.String())
		}
	}
}
