package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestSamplesFile validates the project's sample articles: every line parses,
// ids and URLs are unique, published_at is RFC 3339 UTC, and the milestone
// dates of docs/design.md §4 are covered.
func TestSamplesFile(t *testing.T) {
	path := filepath.Join("..", "..", "samples", "articles.jsonl")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no sample file: %v", err)
	}
	arts, err := loadJSONL(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) < 80 {
		t.Fatalf("%d articles, want at least 80", len(arts))
	}
	days := map[string]int{}
	for i, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		ts, _ := m["published_at"].(string)
		if _, err := time.Parse(time.RFC3339, ts); err != nil || !strings.HasSuffix(ts, "Z") {
			t.Errorf("line %d: published_at %q is not RFC 3339 UTC", i+1, ts)
		}
		for _, k := range []string{"id", "url", "source", "title", "text"} {
			if s, _ := m[k].(string); s == "" || !utf8.ValidString(s) {
				t.Errorf("line %d: empty or invalid %s", i+1, k)
			}
		}
		if u, _ := m["url"].(string); !strings.HasPrefix(u, "https://") || !strings.Contains(u, ".test/") {
			t.Errorf("line %d: url %q is not on an invented .test domain", i+1, u)
		}
	}
	for _, a := range arts {
		days[a.PublishedAt.Format("2006-01-02")]++
	}
	// Each milestone has stories on the day or within two days after it.
	milestones := []string{"2018-03-22", "2018-07-06", "2018-09-24", "2018-12-01", "2019-05-10", "2019-05-15",
		"2019-06-29", "2019-08-05", "2019-08-23", "2019-10-11", "2019-12-13", "2020-01-15", "2022-10-07",
		"2024-05-14", "2025-02-04", "2025-04-02", "2025-04-09", "2025-05-12", "2025-06-11", "2025-08-11",
		"2025-10-09", "2025-10-30"}
	for _, m := range milestones {
		d, _ := time.Parse("2006-01-02", m)
		n := 0
		for k := range 4 {
			n += days[d.AddDate(0, 0, k).Format("2006-01-02")]
		}
		if n < 2 {
			t.Errorf("milestone %s: %d articles within 3 days", m, n)
		}
	}
}

func TestLoadJSONLErrors(t *testing.T) {
	cases := map[string]string{
		"parse":    `{"id":"a","text":"x","published_at":"2020-01-01T00:00:00Z"` + "\n",
		"unknown":  `{"id":"a","text":"x","published_at":"2020-01-01T00:00:00Z","extra":1}` + "\n",
		"no text":  `{"id":"a","published_at":"2020-01-01T00:00:00Z"}` + "\n",
		"no time":  `{"id":"a","text":"x"}` + "\n",
		"bad time": `{"id":"a","text":"x","published_at":"2020-01-01"}` + "\n",
		"dup id": `{"id":"a","text":"x","published_at":"2020-01-01T00:00:00Z"}` + "\n" +
			`{"id":"a","text":"y","published_at":"2020-01-01T00:00:00Z"}` + "\n",
		"dup url": `{"id":"a","url":"https://x.test/1","text":"x","published_at":"2020-01-01T00:00:00Z"}` + "\n" +
			`{"id":"b","url":"https://x.test/1","text":"y","published_at":"2020-01-01T00:00:00Z"}` + "\n",
		"empty": "\n\n",
	}
	for name, in := range cases {
		if _, err := loadJSONL(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestRunFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.jsonl")
	os.WriteFile(path, []byte(`{"id":"a","url":"https://x.test/1","text":"tariffs","published_at":"2019-05-10T05:00:00Z"}
{"id":"b","url":"https://x.test/2","text":"truce","published_at":"2025-05-12T08:00:00Z"}
{"id":"c","url":"https://x.test/3","text":"rain","published_at":"2018-09-14T13:00:00Z"}
`), 0o644)
	ing := &fakeIngest{token: "tok", ids: map[string]bool{}}
	isrv := httptest.NewServer(ing)
	defer isrv.Close()
	qsrv := httptest.NewServer(fakeQuery(t, ing, 0, 0))
	defer qsrv.Close()
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-file", path, "-ingest-url", isrv.URL, "-query-url", qsrv.URL, "-token", "tok",
		"-batch", "2", "-wait", "-poll", "10ms"}, &stdout, io.Discard)
	if err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if ing.count() != 3 || !ing.ids["a"] || !ing.ids["c"] {
		t.Fatalf("ingest got %v", ing.ids)
	}
	if !strings.Contains(stdout.String(), `"mode":"file","from":"2018-09-14T13:00:00Z","to":"2025-05-12T08:00:01Z"`) {
		t.Fatalf("stdout: %s", stdout.String())
	}
}
