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
	batches := make(chan lineBatch)
	free := make(chan lineBatch, 2) // batches done, for readLines to read into again
	done := make(chan struct{})
	defer close(done)
	go readLines(in, batches, free, done)
	for {
		var b lineBatch
		select {
		case b = <-batches:
		default:
			// no line ready: let a reader of out see the lines done so far
			if err := w.Flush(); err != nil {
				return fmt.Errorf("tag: write: %w", err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("tag: %w", ctx.Err())
			case b = <-batches:
			}
		}
		for _, l := range b.lines {
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
		}
		recycle(free, b)
	}
}

// maxRecycled is the largest line buffer handed back to readLines: a
// rare long line's buffer is left to the collector rather than kept.
const maxRecycled = 1 << 20

// batchBytes is the size of a batch's buffer, and maxBatch the most lines
// readLines sends at once. On 20,000 synthetic articles (~940 bytes each)
// with two cores, `enricher tag` took 0.43-0.45 CPU-s handing lines over
// one at a time, 0.42 in batches of 8 KiB, 0.35-0.38 of 16 KiB, 0.33-0.37
// of 32 KiB (0.30 on one core); each batch in flight when RunTag starts
// allocates its buffer once (~3 on the 98 KB of samples/: 48 KB of 16 KiB).
const (
	batchBytes = 16 << 10
	maxBatch   = 128
)

// recycle hands a batch that is done with back to readLines, when its
// buffer is not too big and readLines has room for it. Nothing tagOne
// returns refers to the lines' bytes (the decoders copy what they keep),
// so reading the next lines into it saves an allocation and a copy of
// every line (~2 % of enricher tag on the short samples).
func recycle(free chan<- lineBatch, b lineBatch) {
	if cap(b.buf) > maxRecycled {
		return
	}
	clear(b.lines) // no hold on the arrays of a buffer that grew
	select {
	case free <- lineBatch{lines: b.lines[:0], buf: b.buf[:0]}:
	default:
	}
}

// inLine is one input line (or the read error that ended the input).
type inLine struct {
	line    []byte
	tooLong bool
	err     error
}

// lineBatch is the lines readLines had at hand at once, read one after
// the other into buf. Handing lines over one at a time cost a wake-up of
// the reading goroutine per line: on two cores its thread parked and was
// woken for every article, and `enricher tag` spent ~45 % more CPU time
// than on one core (20,000 synthetic articles: 0.45 against 0.31 CPU-s;
// in batches: 0.35-0.38). On one core (BenchmarkRunTagSamples) the
// goroutine switches cost 1.2 % of the instructions.
type lineBatch struct {
	lines []inLine
	buf   []byte
}

// readLines sends the lines of in to batches until the input ends or
// done is closed; a read blocked in in does not hold up RunTag's return.
// A batch is a line and the whole lines after it that are already
// buffered and fit its buffer (at most maxBatch): readLines never waits
// for input while it holds a line, so each line still reaches RunTag as
// soon as it is read. It reads each batch into a buffer from free when
// there is one.
func readLines(in io.Reader, batches chan<- lineBatch, free <-chan lineBatch, done <-chan struct{}) {
	// 64 KiB, not 1 MiB: readLine joins the chunks of a longer line, and a
	// megabyte allocated and cleared per call cost a short input (the 123
	// samples, 98 KB) more than its JSON
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		var b lineBatch
		select {
		case b = <-free:
		default:
			b = lineBatch{lines: make([]inLine, 0, 16), buf: make([]byte, 0, batchBytes)}
		}
		for {
			start := len(b.buf)
			var l inLine
			b.buf, l.tooLong, l.err = readLine(r, b.buf)
			if !l.tooLong {
				l.line = b.buf[start:len(b.buf):len(b.buf)]
			}
			b.lines = append(b.lines, l)
			if l.err != nil || len(b.lines) == maxBatch {
				break
			}
			if n := bufferedLine(r); n < 0 || len(b.buf)+n > cap(b.buf) {
				break
			}
		}
		select {
		case batches <- b:
		case <-done:
			return
		}
		if b.lines[len(b.lines)-1].err != nil {
			return
		}
	}
}

// bufferedLine returns the length of the next line when r holds all of
// it (reading it cannot block), else -1.
func bufferedLine(r *bufio.Reader) int {
	rest, _ := r.Peek(r.Buffered())
	return bytes.IndexByte(rest, '\n')
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

// readLine appends one line of any length up to MaxLine to buf; a longer
// line is consumed and reported as tooLong, buf as it was.
func readLine(r *bufio.Reader, buf []byte) (out []byte, tooLong bool, err error) {
	start := len(buf)
	for {
		chunk, isPrefix, e := r.ReadLine()
		if e != nil {
			return buf, tooLong, e
		}
		if !tooLong {
			if len(buf)-start+len(chunk) > MaxLine {
				tooLong = true
				buf = buf[:start]
			} else {
				buf = append(buf, chunk...)
			}
		}
		if !isPrefix {
			return buf, tooLong, nil
		}
	}
}

// articleID is the stable article id (docs/design.md §3.2), shared with ingest.
func articleID(rawURL, text string) string { return event.ArticleID(rawURL, text) }
