// Package tageval holds the logic of the enricher's `tag` and `eval` commands
// (docs/design.md §3): tagging JSONL articles from a stream, and scoring the tagger
// against a labelled corpus (JSONL, one labelled article a line; see docs/tagger-eval.md).
package tageval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

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
	Lang        string          `json:"lang"`
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
// that is not a valid article or that the tagger refuses (over its work
// budget). It stops early only when ctx is done (promptly, even while a read
// blocks or an article is being tagged; the lines done are written) or out
// fails; a read error is returned after the lines before it were written.
func RunTag(ctx context.Context, t *tagger.Tagger, in io.Reader, out io.Writer) error {
	w := bufio.NewWriterSize(out, 1<<16)
	defer w.Flush()
	var buf []byte // the output line
	lines := make(chan inLine)
	free := make(chan []byte, 2) // lines done, for readLines to read into again
	done := make(chan struct{})
	defer close(done)
	go readLines(in, lines, free, done)
	for {
		var l inLine
		select {
		case l = <-lines:
		default:
			// no line ready: let a reader of out see the lines done so far
			if err := w.Flush(); err != nil {
				return fmt.Errorf("tag: write: %w", err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("tag: %w", ctx.Err())
			case l = <-lines:
			}
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("tag: %w", err)
		}
		if l.err != nil && !errors.Is(l.err, io.EOF) {
			return fmt.Errorf("tag: read: %w", l.err)
		}
		if len(l.line) == 0 && !l.tooLong && l.err != nil {
			return nil // EOF after the last line
		}
		var res result
		switch {
		case l.tooLong:
			res = failed(tagErr{Error: fmt.Sprintf("line longer than %d bytes", MaxLine)})
		case len(bytes.TrimSpace(l.line)) == 0:
			res = failed(tagErr{Error: "empty line"})
		default:
			var err error
			if res, err = tagOne(ctx, t, l.line); err != nil {
				return fmt.Errorf("tag: %w", err)
			}
		}
		var err error
		if buf, err = res.appendTo(buf[:0]); err != nil {
			return fmt.Errorf("tag: encode: %w", err)
		}
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("tag: write: %w", err)
		}
		if l.err != nil {
			return nil // EOF right after this line
		}
		recycle(free, l.line)
	}
}

// maxRecycled is the longest line buffer handed back to readLines: a
// rare long line's buffer is left to the collector rather than kept.
const maxRecycled = 1 << 20

// recycle hands the buffer of a line that is done with back to readLines,
// when it is not too big and readLines has room for it. Nothing tagOne
// returns refers to the line's bytes (the decoders copy what they keep),
// so reading the next line into it saves an allocation and a copy of
// every line (~2 % of enricher tag on the short samples).
func recycle(free chan<- []byte, line []byte) {
	if line == nil || cap(line) > maxRecycled {
		return
	}
	select {
	case free <- line[:0]:
	default:
	}
}

// inLine is one input line (or the read error that ended the input).
type inLine struct {
	line    []byte
	tooLong bool
	err     error
}

// readLines sends the lines of in to lines until the input ends or done is
// closed; a read blocked in in does not hold up RunTag's return. It reads
// each line into a buffer from free when there is one.
func readLines(in io.Reader, lines chan<- inLine, free <-chan []byte, done <-chan struct{}) {
	// 64 KiB, not 1 MiB: readLine joins the chunks of a longer line, and a
	// megabyte allocated and cleared per call cost a short input (the 123
	// samples, 98 KB) more than its JSON
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		var buf []byte
		select {
		case buf = <-free:
		default:
		}
		line, tooLong, err := readLine(r, buf)
		select {
		case lines <- inLine{line: line, tooLong: tooLong, err: err}:
		case <-done:
			return
		}
		if err != nil {
			return
		}
	}
}

// result is the output line of one input line: the tags, or the error line
// when isErr. A struct rather than an interface holding either: boxing the
// tags was an allocation per article.
type result struct {
	out   tagOut
	fail  tagErr
	isErr bool
}

// failed is the result that is the error line e.
func failed(e tagErr) result { return result{fail: e, isErr: true} }

// appendTo appends the result's output line.
func (r *result) appendTo(b []byte) ([]byte, error) {
	if r.isErr {
		return appendErrLine(b, &r.fail)
	}
	return appendOutLine(b, &r.out)
}

// tagOne tags one input line: the tags, or an error line for a bad article
// or one over the tagger's work budget. The error is ctx's, when it is done.
func tagOne(ctx context.Context, t *tagger.Tagger, line []byte) (result, error) {
	a, err := decodeTagIn(line)
	if err != nil {
		// try to echo the id of a line that is JSON but of the wrong shape
		var probe struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(line, &probe)
		return failed(tagErr{ID: echoID(probe.ID), Error: "invalid JSON article: " + err.Error()}), nil
	}
	if a.Text == nil {
		return failed(tagErr{ID: echoID(a.ID), Error: `missing required field "text"`}), nil
	}
	if strings.TrimSpace(*a.Text) == "" {
		return failed(tagErr{ID: echoID(a.ID), Error: `field "text" is empty`}), nil
	}
	tags, err := t.TagLangContext(ctx, a.Title, *a.Text, a.Lang)
	switch {
	case errors.Is(err, tagger.ErrWorkBudget):
		return failed(tagErr{ID: echoID(a.ID), Error: err.Error()}), nil
	case err != nil:
		return result{}, err
	}
	return result{out: tagOut{ID: echoID(a.ID), ArticleID: articleID(a.URL, *a.Text), TaggerVersion: tagger.Version, Tags: tags}}, nil
}

// echoID returns the sender's id as valid JSON. json.RawMessage keeps the
// bytes as sent, and encoding/json does not check the UTF-8 of strings: an
// id with invalid UTF-8 would make the output line invalid JSON for strict
// readers, so it is re-encoded (invalid bytes become U+FFFD).
func echoID(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || utf8.Valid(raw) {
		return raw
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// readLine reads one line of any length up to MaxLine into buf (empty, or
// nil for a new one); longer lines are consumed and reported as tooLong.
func readLine(r *bufio.Reader, buf []byte) (line []byte, tooLong bool, err error) {
	line = buf[:0]
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

// articleID is the stable article id (docs/design.md §3.2), shared with ingest.
func articleID(rawURL, text string) string { return event.ArticleID(rawURL, text) }
