// Package sources reads the follower's sources file: a tab-separated,
// reviewable list of the feeds to follow, one per line under a header line
// naming the columns. Every line is validated at start and every problem is
// reported as file:line, so a bad edit is caught in review or at deploy time,
// never half-applied at run time.
//
//	# comments and blank lines are ignored
//	url	name	lang	interval	full_text
//	https://example.test/world/rss.xml	example-world	en	15m	auto
//
// Columns: url (required: an absolute http or https feed URL) and name
// (required: [A-Za-z0-9._-], at most 64 characters, unique; the source of the
// articles and the label of the metrics); lang (a language tag like "en" or
// "zh-Hans", or "-": then the page's own lang attribute, else the Atom
// entry's xml:lang); interval (a Go
// duration between polls, or "-" for the default); full_text ("auto": fetch
// the page when the feed item carries only a summary; "yes": always; "no":
// never, use what the feed carries). Optional columns may be left out of the
// header; "-" or an empty cell means the default.
package sources

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/event"
)

// FullText says when the follower fetches an item's page.
type FullText string

// The values of the full_text column.
const (
	FullTextAuto FullText = "auto" // when the item carries only a summary
	FullTextYes  FullText = "yes"  // always
	FullTextNo   FullText = "no"   // never: the feed's content or summary is the text
)

// Source is one feed to follow.
type Source struct {
	URL      string        `json:"url"`
	Name     string        `json:"name"`
	Lang     string        `json:"lang,omitempty"`
	Interval time.Duration `json:"interval"`
	FullText FullText      `json:"full_text"`
	Line     int           `json:"line"` // where it is defined in the file
}

// Limits are the bounds a file is checked against.
type Limits struct {
	DefaultInterval time.Duration // for "-" (default 15m)
	MinInterval     time.Duration // shortest interval accepted (default 1m)
	MaxInterval     time.Duration // longest (default 7 days)
	MaxSources      int           // most lines (default 10,000)
}

func (l *Limits) defaults() {
	if l.DefaultInterval <= 0 {
		l.DefaultInterval = 15 * time.Minute
	}
	if l.MinInterval <= 0 {
		l.MinInterval = time.Minute
	}
	if l.MaxInterval <= 0 {
		l.MaxInterval = 7 * 24 * time.Hour
	}
	if l.MaxSources <= 0 {
		l.MaxSources = 10_000
	}
}

// Columns of the file, in the order the header usually lists them.
var columns = []string{"url", "name", "lang", "interval", "full_text"}

// maxLineBytes bounds one line (a URL is at most 2,048 characters).
const maxLineBytes = 8 << 10

// maxErrors caps the problems reported for one file.
const maxErrors = 50

// ErrInvalid is matched by every *Error.
var ErrInvalid = errors.New("invalid sources file")

// Error lists every problem of a file, each as "file:line: problem".
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "invalid sources file:\n  " + strings.Join(e.Problems, "\n  ")
}

// Is reports whether target is ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Load reads and validates the file at path.
func Load(path string, lim Limits) ([]Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	defer f.Close()
	return Parse(f, path, lim)
}

// Parse reads and validates a sources file; name is how errors call it.
// It returns every source or, when any line is wrong, an *Error listing
// every problem found (up to 50).
func Parse(r io.Reader, name string, lim Limits) ([]Source, error) {
	lim.defaults()
	p := parser{name: name, lim: lim, urls: map[string]int{}, names: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLineBytes)
	n := 0
	for sc.Scan() {
		n++
		p.line(n, sc.Bytes())
		if len(p.problems) > maxErrors {
			break
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			p.errorf(n+1, "line longer than %d bytes", maxLineBytes)
		} else {
			return nil, fmt.Errorf("sources: read %s: %w", name, err)
		}
	}
	if p.cols == nil && len(p.problems) == 0 {
		p.errorf(max(n, 1), "no header line: the first line that is not blank or a # comment names the columns (%s)", strings.Join(columns, ", "))
	}
	if p.cols != nil && len(p.out) == 0 && len(p.problems) == 0 {
		p.errorf(max(n, 1), "no sources: add one feed per line under the header")
	}
	if len(p.problems) > 0 {
		if len(p.problems) > maxErrors {
			p.problems = append(p.problems[:maxErrors], "… more problems not reported")
		}
		return nil, &Error{Problems: p.problems}
	}
	return p.out, nil
}

type parser struct {
	name     string
	lim      Limits
	cols     []string // header, nil until read
	urls     map[string]int
	names    map[string]int
	out      []Source
	problems []string
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf("%s:%d: %s", p.name, line, fmt.Sprintf(format, args...)))
}

func (p *parser) line(n int, raw []byte) {
	raw = bytes.TrimRight(raw, "\r")
	if n == 1 {
		raw = bytes.TrimPrefix(raw, []byte("\ufeff")) // a BOM some editors add
	}
	text := string(raw)
	if strings.TrimSpace(text) == "" || strings.HasPrefix(strings.TrimSpace(text), "#") {
		return
	}
	if !isText(text) {
		p.errorf(n, "not UTF-8 text")
		return
	}
	cells := strings.Split(text, "\t")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	if p.cols == nil {
		p.header(n, cells)
		return
	}
	if len(cells) != len(p.cols) {
		p.errorf(n, "%d cells, the header has %d (%s): separate cells with one tab", len(cells), len(p.cols), strings.Join(p.cols, ", "))
		return
	}
	if len(p.out) >= p.lim.MaxSources {
		p.errorf(n, "more than %d sources", p.lim.MaxSources)
		return
	}
	s := Source{Line: n, Interval: p.lim.DefaultInterval, FullText: FullTextAuto}
	ok := true
	for i, col := range p.cols {
		if msg := p.cell(&s, col, cells[i]); msg != "" {
			p.errorf(n, "%s: %s", col, msg)
			ok = false
		}
	}
	if !ok {
		return
	}
	if prev, dup := p.urls[s.URL]; dup {
		p.errorf(n, "url %s is already on line %d", s.URL, prev)
		return
	}
	if prev, dup := p.names[s.Name]; dup {
		p.errorf(n, "name %q is already on line %d", s.Name, prev)
		return
	}
	p.urls[s.URL], p.names[s.Name] = n, n
	p.out = append(p.out, s)
}

func (p *parser) header(n int, cells []string) {
	seen := map[string]bool{}
	for _, c := range cells {
		known := false
		for _, k := range columns {
			known = known || c == k
		}
		switch {
		case !known:
			p.errorf(n, "header: unknown column %q (columns: %s)", c, strings.Join(columns, ", "))
		case seen[c]:
			p.errorf(n, "header: column %q twice", c)
		}
		seen[c] = true
	}
	for _, req := range []string{"url", "name"} {
		if !seen[req] {
			p.errorf(n, "header: column %q is required (the first line that is not blank or a # comment names the columns)", req)
		}
	}
	p.cols = cells
}

// cell sets one column of s and returns what is wrong with it, or "".
func (p *parser) cell(s *Source, col, v string) string {
	empty := v == "" || v == "-"
	switch col {
	case "url":
		if empty {
			return "required"
		}
		return checkURL(s, v)
	case "name":
		if empty {
			return "required"
		}
		if !validName(v) {
			return fmt.Sprintf("%q: use 1 to 64 letters, digits, '.', '_' or '-'", v)
		}
		s.Name = v
	case "lang":
		if empty {
			return ""
		}
		if !event.IsLang(v) {
			return fmt.Sprintf(`%q is not a language tag like "en" or "zh-Hans"`, v)
		}
		s.Lang = v
	case "interval":
		if empty {
			return ""
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Sprintf("%q is not a duration (e.g. 15m, 1h)", v)
		}
		if d < p.lim.MinInterval || d > p.lim.MaxInterval {
			return fmt.Sprintf("%s is outside %s to %s (-min-interval sets the lower bound)", d, p.lim.MinInterval, p.lim.MaxInterval)
		}
		s.Interval = d
	case "full_text":
		if empty {
			return ""
		}
		switch f := FullText(strings.ToLower(v)); f {
		case FullTextAuto, FullTextYes, FullTextNo:
			s.FullText = f
		default:
			return fmt.Sprintf("%q: want auto, yes or no", v)
		}
	}
	return ""
}

func checkURL(s *Source, v string) string {
	if len(v) > 2048 {
		return "longer than 2048 characters"
	}
	u, err := url.Parse(v)
	if err != nil {
		return fmt.Sprintf("%q is not a URL", v)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("%q: want an absolute http or https URL", v)
	}
	if u.Hostname() == "" {
		return fmt.Sprintf("%q has no host", v)
	}
	if u.User != nil {
		return fmt.Sprintf("%q carries credentials: feeds behind a login are not supported", v)
	}
	u.Fragment, u.RawFragment = "", ""
	s.URL = u.String()
	return ""
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isText(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' || (r < ' ' && r != '\t') || r == 0x7f {
			return false
		}
	}
	return true
}
