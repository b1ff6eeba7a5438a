// Package tageval holds the logic of the enricher's `tag` and `eval` commands
// (DESIGN §3): tagging JSONL articles from a stream, and scoring the tagger
// against a labelled corpus (JSONL, one labelled article a line; see docs/tagger-eval.md).
package tageval

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tagger"
)

// MaxLine is the longest input line RunTag accepts (16 MiB); a longer line
// gets an error line of its own and the command goes on.
const MaxLine = 16 << 20

type tagIn struct {
	ID          json.RawMessage `json:"id"`
	URL         string          `json:"url"`
	Source      string          `json:"source"`
	PublishedAt string          `json:"published_at"`
	Title       string          `json:"title"`
	Text        *string         `json:"text"`
}

type tagOut struct {
	ID            json.RawMessage `json:"id,omitempty"`
	ArticleID     string          `json:"article_id"`
	TaggerVersion string          `json:"tagger_version"`
	event.Tags
}

type tagErr struct {
	ID    json.RawMessage `json:"id,omitempty"`
	Error string          `json:"error"`
}

// RunTag reads one JSON article per line from in and writes one JSON line per
// input line to out, in order: the tags, or {"id":..,"error":".."} for a line
// that is not a valid article. It stops early only when ctx is done or out
// fails; a read error is returned after the lines before it were written.
func RunTag(ctx context.Context, t *tagger.Tagger, in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriterSize(out, 1<<16)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, tooLong, err := readLine(r)
		if len(line) == 0 && !tooLong && errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("tag: read: %w", err)
		}
		var v any
		switch {
		case tooLong:
			v = tagErr{Error: fmt.Sprintf("line longer than %d bytes", MaxLine)}
		case len(strings.TrimSpace(string(line))) == 0:
			v = tagErr{Error: "empty line"}
		default:
			v = tagOne(t, line)
		}
		if e := enc.Encode(v); e != nil {
			return fmt.Errorf("tag: write: %w", e)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

func tagOne(t *tagger.Tagger, line []byte) any {
	var a tagIn
	if err := json.Unmarshal(line, &a); err != nil {
		// try to echo the id of a line that is JSON but of the wrong shape
		var probe struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(line, &probe)
		return tagErr{ID: probe.ID, Error: "invalid JSON article: " + err.Error()}
	}
	if a.Text == nil {
		return tagErr{ID: a.ID, Error: `missing required field "text"`}
	}
	if strings.TrimSpace(*a.Text) == "" {
		return tagErr{ID: a.ID, Error: `field "text" is empty`}
	}
	return tagOut{ID: a.ID, ArticleID: articleID(a.URL, *a.Text), TaggerVersion: tagger.Version, Tags: t.Tag(a.Title, *a.Text)}
}

// readLine reads one line of any length up to MaxLine; longer lines are
// consumed and reported as tooLong.
func readLine(r *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, isPrefix, e := r.ReadLine()
		if e != nil {
			return line, tooLong, e
		}
		if !tooLong {
			if len(line)+len(chunk) > MaxLine {
				tooLong = true
				line = nil
			} else {
				line = append(line, chunk...)
			}
		}
		if !isPrefix {
			return line, tooLong, nil
		}
	}
}

// articleID is the stable article id (DESIGN §1), shared with ingest.
func articleID(rawURL, text string) string { return event.ArticleID(rawURL, text) }
