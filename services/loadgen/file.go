package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tension-dev/tension/pkg/synth"
)

// loadJSONL reads articles, one JSON object per line (blank lines skipped),
// and checks what a sample file must satisfy: every line parses with known
// fields only, text and published_at are present, ids and URLs are unique.
func loadJSONL(r io.Reader) ([]synth.Article, error) {
	var arts []synth.Article
	ids, urls := map[string]int{}, map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var a synth.Article
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		switch {
		case a.Text == "":
			return nil, fmt.Errorf("line %d: no text", line)
		case a.PublishedAt.IsZero():
			return nil, fmt.Errorf("line %d: no published_at", line)
		}
		if a.ID != "" {
			if prev, dup := ids[a.ID]; dup {
				return nil, fmt.Errorf("line %d: id %q already on line %d", line, a.ID, prev)
			}
			ids[a.ID] = line
		}
		if a.URL != "" {
			if prev, dup := urls[a.URL]; dup {
				return nil, fmt.Errorf("line %d: url %q already on line %d", line, a.URL, prev)
			}
			urls[a.URL] = line
		}
		a.PublishedAt = a.PublishedAt.UTC()
		arts = append(arts, a)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(arts) == 0 {
		return nil, fmt.Errorf("no articles")
	}
	return arts, nil
}

func loadFile(path string) ([]synth.Article, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	arts, err := loadJSONL(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return arts, nil
}

// span returns the event-time range [min, max+1s) of arts.
func span(arts []synth.Article) (time.Time, time.Time) {
	lo, hi := arts[0].PublishedAt, arts[0].PublishedAt
	for _, a := range arts[1:] {
		lo, hi = minTime(lo, a.PublishedAt), maxTime(hi, a.PublishedAt)
	}
	return lo, hi.Add(time.Second)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
