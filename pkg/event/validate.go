package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tension-dev/tension/pkg/jsonwire"
)

// ErrInvalidArticle is matched (errors.Is) by every *ValidationError: the
// input is wrong and sending it again unchanged will fail again. Callers
// answer 400 (ingest) or dead-letter the message (enricher).
var ErrInvalidArticle = errors.New("invalid article")

// Problem is one reason an article was rejected. Field is a JSON pointer
// into the article ("/text", "/published_at"); it is "" when the problem is
// the document as a whole (not UTF-8, not JSON, not an object).
type Problem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError lists every problem found in one article, in document
// order, then the missing required fields. It matches ErrInvalidArticle.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid article: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Field != "" {
			b.WriteString(p.Field)
			b.WriteString(": ")
		}
		b.WriteString(p.Reason)
	}
	return b.String()
}

// Is reports whether target is ErrInvalidArticle.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidArticle }

// DecodeOptions selects which form of article is decoded.
type DecodeOptions struct {
	// FromTopic decodes a message from articles.raw.v1, where ingest has set
	// article_id and received_at: both are required. When false (the
	// default) the input comes from a client, and both must be absent
	// because the server assigns them.
	FromTopic bool
	// Now is the receipt time a client article is checked against (its
	// published_at may be at most MaxAhead later, to the second, as
	// EncodeArticle stamps received_at); zero means time.Now().
	// A topic article is checked against its own received_at instead, so
	// a replay years later decides as ingest did.
	Now time.Time
}

// Field limits from schemas/article.v1.json, in characters (code points), as
// JSON Schema counts them.
const (
	maxIDLen     = 256
	maxURLLen    = 2048
	maxSourceLen = 256
	maxTitleLen  = 2000
	maxTextLen   = 500_000 // the size rule (MaxArticleBytes) binds first for most texts

	// maxProblems caps the problems reported for one article, so an input
	// with thousands of unknown keys yields a short answer.
	maxProblems = 20
)

// field indexes the article's JSON members.
type field int

const (
	fArticleID field = iota
	fID
	fURL
	fSource
	fTitle
	fText
	fLang
	fPublishedAt
	fPublishedAtSource
	fReceivedAt
	numFields
)

var fieldNames = [numFields]string{"article_id", "id", "url", "source", "title", "text", "lang", "published_at", "published_at_source", "received_at"}

// lookupField finds a member by its exact name (a []byte key is compared
// without a copy).
func lookupField[K string | []byte](key K) (field, bool) {
	for f, name := range fieldNames {
		if string(key) == name {
			return field(f), true
		}
	}
	return 0, false
}

// DecodeArticle decodes and validates one article: a single JSON object in
// valid UTF-8, with no duplicate or unknown members, every member a string,
// and the constraints of schemas/article.v1.json checked by hand (the schema
// validator is far slower; a test proves the two agree). On top of the
// schema, url must be an absolute http(s) URL with a host. published_at is
// an RFC 3339 date-time or a YYYY-MM-DD date (taken as 00:00 UTC); all times
// are returned in UTC. An error is always a *ValidationError.
//
// DecodeArticle does not assign article_id or received_at; ingest does.
func DecodeArticle(data []byte, opts DecodeOptions) (Article, error) {
	var d decoder
	if !d.decodeFast(data) {
		return decodeChecked(data, opts)
	}
	return d.finish(opts)
}

// decodeChecked is DecodeArticle without its one-pass fast path: the
// decoder that finds and reports every problem.
func decodeChecked(data []byte, opts DecodeOptions) (Article, error) {
	var d decoder
	if !d.decode(data) {
		return Article{}, &ValidationError{Problems: d.problems}
	}
	return d.finish(opts)
}

// finish checks the members collected and returns the article or the
// problems.
func (d *decoder) finish(opts DecodeOptions) (Article, error) {
	d.required(opts)
	if len(d.problems) == 0 {
		d.check(opts)
	}
	if len(d.problems) > 0 {
		return Article{}, &ValidationError{Problems: d.problems}
	}
	return d.article, nil
}

type decoder struct {
	vals     [numFields]string
	set      [numFields]bool
	problems []Problem
	article  Article
}

func (d *decoder) add(field, reason string) {
	if len(d.problems) < maxProblems {
		d.problems = append(d.problems, Problem{Field: field, Reason: reason})
	} else if len(d.problems) == maxProblems {
		d.problems = append(d.problems, Problem{Reason: "too many problems; the rest are not reported"})
	}
}

// decodeFast collects the string members of an article as ingest writes
// it — one JSON object of known, distinct members, all strings, in valid
// UTF-8 — in one pass with jsonwire's Reader, whose strings share one copy
// of data. It returns false, with d in an unknown state, on anything else
// (a key with an escape, an unknown or duplicate member, a value not a
// string, malformed JSON or UTF-8): decode then reads the document from
// the start and reports what is wrong, so the problems are decode's
// whichever path ran. What it accepts, decode accepts with the same values:
// the Reader is at least as strict as json.Valid (and refuses invalid
// UTF-8 in strings; outside them JSON is ASCII), and both unescape strings
// with jsonwire.Unescape.
func (d *decoder) decodeFast(data []byte) bool {
	r := jsonwire.NewReader(data)
	r.Object(func(key []byte) {
		f, known := lookupField(key)
		if !known || d.set[f] {
			r.Fail()
			return
		}
		d.vals[f] = r.String()
		d.set[f] = true
	})
	r.End()
	return !r.Failed()
}

// decode checks the document and collects the string members. It returns
// false when the document is not a JSON object at all.
func (d *decoder) decode(data []byte) bool {
	if !utf8.Valid(data) {
		d.add("", fmt.Sprintf("invalid UTF-8 at byte offset %d", invalidUTF8Offset(data)))
		return false
	}
	if !validJSON(data) {
		d.add("", syntaxReason(data))
		return false
	}
	// From here on data is one valid JSON value, which keeps the scanner
	// small: it never has to report a syntax error.
	i := skipSpace(data, 0)
	if data[i] != '{' {
		d.add("", "must be a JSON object, got "+kindOf(data[i]))
		return false
	}
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return true
	}
	for {
		key, next := scanString(data, i)
		i = skipSpace(data, skipSpace(data, next)+1) // past ':'
		ptr := "/" + escapePointer(key)
		f, known := lookupField(key)
		switch {
		case !known:
			d.add(ptr, "unknown field")
		case d.set[f]:
			d.add(ptr, "duplicate field")
		}
		if data[i] == '"' {
			val, next := scanString(data, i)
			if known && !d.set[f] {
				d.vals[f] = val
				d.set[f] = true
			}
			i = next
		} else {
			if known && !d.set[f] {
				d.add(ptr, "must be a string, got "+kindOf(data[i]))
				d.set[f] = true // reported; not also "required"
			}
			i = skipValue(data, i)
		}
		i = skipSpace(data, i)
		if data[i] == '}' {
			return true
		}
		i = skipSpace(data, i+1) // past ','
	}
}

// required checks which members are present.
func (d *decoder) required(opts DecodeOptions) {
	for _, f := range []field{fArticleID, fReceivedAt} {
		ptr := "/" + fieldNames[f]
		switch {
		case !opts.FromTopic && d.set[f]:
			d.add(ptr, "must not be sent: assigned by the server")
		case opts.FromTopic && !d.set[f]:
			d.add(ptr, "is required")
		}
	}
	if !d.set[fText] {
		d.add("/text", "is required")
	}
}

// check validates the members and builds the article.
func (d *decoder) check(opts DecodeOptions) {
	a := &d.article

	if opts.FromTopic {
		if !isUUID(d.vals[fArticleID]) {
			d.add("/article_id", "must be a UUID")
		}
		a.ArticleID = d.vals[fArticleID]
		t, ok := parseDateTime(d.vals[fReceivedAt])
		switch {
		case !ok:
			d.add("/received_at", "must be an RFC 3339 date-time")
		case stampProblem(t) != "":
			d.add("/received_at", stampProblem(t))
		}
		a.ReceivedAt = t
	}

	a.ID = d.vals[fID]
	if tooLong(a.ID, maxIDLen) {
		d.add("/id", fmt.Sprintf("longer than %d characters", maxIDLen))
	}
	a.Source = d.vals[fSource]
	if tooLong(a.Source, maxSourceLen) {
		d.add("/source", fmt.Sprintf("longer than %d characters", maxSourceLen))
	}
	a.Title = d.vals[fTitle]
	if tooLong(a.Title, maxTitleLen) {
		d.add("/title", fmt.Sprintf("longer than %d characters", maxTitleLen))
	}
	a.Text = d.vals[fText]
	switch {
	case tooLong(a.Text, maxTextLen):
		d.add("/text", fmt.Sprintf("longer than %d characters", maxTextLen))
	case !hasNonSpace(a.Text):
		d.add("/text", "must not be empty or only whitespace")
	case !hasVisible(a.Text):
		d.add("/text", "has no visible character (only control, format or space characters, or U+FFFD from a broken escape)")
	}
	if d.set[fURL] {
		a.URL = d.vals[fURL]
		if tooLong(a.URL, maxURLLen) {
			d.add("/url", fmt.Sprintf("longer than %d characters", maxURLLen))
		} else if reason := checkURL(a.URL); reason != "" {
			d.add("/url", reason)
		}
	}
	if d.set[fLang] {
		a.Lang = d.vals[fLang]
		if !isLang(a.Lang) {
			d.add("/lang", `must be a language tag like "en" or "zh-Hans"`)
		}
	}
	dateBad := false
	if d.set[fPublishedAt] {
		before := len(d.problems)
		d.published(opts)
		dateBad = len(d.problems) > before
	}
	if d.set[fPublishedAtSource] && !dateBad {
		d.publishedSource()
	}
}

// publishedSource checks published_at_source against published_at: "feed"
// and "page" name where a given published_at came from, "none" says there
// was none to give (the receipt time counts), so it excludes one.
func (d *decoder) publishedSource() {
	src := d.vals[fPublishedAtSource]
	dated := !d.article.PublishedAt.IsZero() // on the topic, the zero time is "none given"
	switch src {
	case PublishedAtFromFeed, PublishedAtFromPage:
		if !dated {
			d.add("/published_at_source", fmt.Sprintf("is %q but there is no published_at", src))
			return
		}
	case PublishedAtNone:
		if dated {
			d.add("/published_at_source", `is "none" but published_at is given`)
			return
		}
	default:
		d.add("/published_at_source", `must be "feed", "page" or "none"`)
		return
	}
	d.article.PublishedAtSource = src
}

// published checks published_at against the event-time window. On the
// topic, the zero time ("0001-01-01T00:00:00Z") is how ingest encodes an
// article sent without published_at: it stays absent. From a client it is a
// date like any other, outside the window.
func (d *decoder) published(opts DecodeOptions) {
	t, ok := parsePublished(d.vals[fPublishedAt])
	if !ok {
		d.add("/published_at", `must be an RFC 3339 date-time ("2025-05-12T08:00:00Z") or a date ("2025-05-12")`)
		return
	}
	if opts.FromTopic && t.IsZero() {
		return
	}
	ref := opts.Now
	switch {
	case opts.FromTopic:
		ref = d.article.ReceivedAt
	case ref.IsZero():
		ref = time.Now()
	}
	// The receipt time as EncodeArticle stamps it, to the second: the
	// enricher checks the same window against it.
	ref = ref.Truncate(time.Second)
	if reason := publishedProblem(t, ref); reason != "" {
		d.add("/published_at", reason)
		return
	}
	d.article.PublishedAt = t
}

// invalidUTF8Offset returns the byte offset of the first invalid UTF-8
// sequence in data.
func invalidUTF8Offset(data []byte) int {
	for i := 0; i < len(data); {
		if data[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// validJSON reports whether data is one JSON value: jsonwire's scan (a
// few times faster), and encoding/json's when that gives up (deep
// nesting, or not JSON: then it is the judge).
func validJSON(data []byte) bool {
	if valid, gaveUp := jsonwire.Valid(data); !gaveUp {
		return valid
	}
	return json.Valid(data)
}

// syntaxReason explains why data is not a single JSON value. It runs only
// on the error path.
func syntaxReason(data []byte) string {
	if len(bytes.TrimSpace(data)) == 0 {
		return "empty: expected one JSON object"
	}
	err := json.Unmarshal(data, new(json.RawMessage))
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if strings.Contains(se.Error(), "after top-level value") {
			return fmt.Sprintf("malformed JSON at byte offset %d: more than one JSON value (send one object, or NDJSON with Content-Type application/x-ndjson)", se.Offset-1)
		}
		if strings.Contains(se.Error(), "unexpected end") {
			return fmt.Sprintf("malformed JSON: unexpected end of input at byte offset %d", len(data))
		}
		return fmt.Sprintf("malformed JSON at byte offset %d: %s", se.Offset-1, se.Error())
	}
	return "malformed JSON"
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func kindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// scanString decodes the valid JSON string starting at data[i] == '"' and
// returns it with the offset just past its closing quote.
func scanString(data []byte, i int) (string, int) {
	start := i + 1
	end := bytes.IndexByte(data[start:], '"') + start
	if bytes.IndexByte(data[start:end], '\\') < 0 {
		return string(data[start:end]), end + 1
	}
	// Escapes: find the real closing quote, then unescape.
	j := start
	for data[j] != '"' {
		if data[j] == '\\' {
			j++
		}
		j++
	}
	return jsonwire.Unescape(data[start:j]), j + 1
}

// skipValue returns the offset just past the valid JSON value at data[i].
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		_, next := scanString(data, i)
		return next
	case '{', '[':
		depth := 0
		for {
			switch data[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			case '"':
				_, i = scanString(data, i)
				continue
			}
			i++
		}
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// escapePointer escapes a member name as a JSON pointer token (RFC 6901),
// shortened so an absurd key cannot blow up an error message.
func escapePointer(key string) string {
	const max = 64
	if len(key) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(key[cut]) {
			cut--
		}
		key = key[:cut] + "…"
	}
	if strings.ContainsAny(key, "~/") {
		key = strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
	}
	return key
}

// tooLong reports whether s has more than max code points.
func tooLong(s string, max int) bool {
	return len(s) > max && utf8.RuneCountInString(s) > max
}

// hasNonSpace matches the schema's pattern \S (RE2: not one of \t \n \f \r
// space).
func hasNonSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\t', '\n', '\f', '\r', ' ':
		default:
			return true
		}
	}
	return false
}

// hasVisible reports whether s has a character a reader can see: a
// letter, mark, number, punctuation or symbol. U+FFFD does not count: it is
// what a lone surrogate escape ("\ud800") or a broken encoding decodes to.
func hasVisible(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if r > ' ' && r < 0x7f {
				return true
			}
			continue
		}
		if r != utf8.RuneError && unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S) {
			return true
		}
	}
	return false
}

// checkURL returns why s is not an absolute http(s) URL with a host, or "".
func checkURL(s string) string {
	if plainHTTPURL(s) {
		return ""
	}
	return parseURL(s)
}

// plainHTTPURL reports whether s is an http(s) URL of the common shape that
// parseURL accepts, without parsing it (url.Parse allocates, and every
// article's URL is checked): a lower-case scheme, a host of letters, digits,
// dots and hyphens (no port, no user), then nothing or a path or query of
// bytes url.Parse keeps as they are (no '%' escape, no '#', no space,
// nothing outside ASCII). Anything else goes to parseURL; a fuzz test
// holds the two together.
func plainHTTPURL(s string) bool {
	rest, ok := cutHTTPScheme(s)
	if !ok {
		return false
	}
	i := 0
	for i < len(rest) && (isAlnum(rest[i]) || rest[i] == '.' || rest[i] == '-') {
		i++
	}
	if i == 0 || i < len(rest) && rest[i] != '/' && rest[i] != '?' {
		return false
	}
	for ; i < len(rest); i++ {
		if !isAlnum(rest[i]) && !isPlainURLByte(rest[i]) {
			return false
		}
	}
	return true
}

// cutHTTPScheme returns s after a lower-case "https://" or "http://", and
// whether it had one: the scheme the fast paths of URL checks and ids take.
func cutHTTPScheme(s string) (string, bool) {
	if rest, ok := strings.CutPrefix(s, "https://"); ok {
		return rest, true
	}
	return strings.CutPrefix(s, "http://")
}

// isPlainURLByte reports whether c is one of the punctuation bytes
// plainHTTPURL takes in a path or query.
func isPlainURLByte(c byte) bool {
	switch c {
	case '-', '.', '_', '~', '/', '?', '=', '&', '+', ',', ';', ':', '@', '!', '$', '\'', '(', ')', '*':
		return true
	}
	return false
}

// parseURL is checkURL by url.Parse.
func parseURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "must be a valid URL: " + strings.TrimPrefix(err.Error(), "parse "+strconv.Quote(s)+": ")
	}
	if u.Scheme != "http" && u.Scheme != "https" && !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https") {
		return "must be an absolute http or https URL"
	}
	if u.Hostname() == "" {
		return "must have a host"
	}
	if u.Opaque != "" {
		return `must be of the form "https://host/path"`
	}
	if h := u.Hostname(); strings.Contains(h, ":") && !isIPv6(h) {
		return "invalid IPv6 host"
	}
	return ""
}

func isIPv6(h string) bool {
	addr, err := netip.ParseAddr(h)
	return err == nil && addr.Is6()
}

// IsLang reports whether s is a language tag the article contract takes
// (lang): ^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$, like "en" or "zh-Hans".
func IsLang(s string) bool { return isLang(s) }

// isLang matches ^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$.
func isLang(s string) bool {
	n := 0
	for n < len(s) && s[n] >= 'a' && s[n] <= 'z' {
		n++
	}
	if n < 2 || n > 3 {
		return false
	}
	s = s[n:]
	for len(s) > 0 {
		if s[0] != '-' {
			return false
		}
		s = s[1:]
		n = 0
		for n < len(s) && isAlnum(s[n]) {
			n++
		}
		if n < 2 || n > 8 {
			return false
		}
		s = s[n:]
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isUUID matches the schema's "uuid" format: 8-4-4-4-12 hex digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// parsePublished accepts an RFC 3339 date-time or a YYYY-MM-DD date.
func parsePublished(s string) (time.Time, bool) {
	if len(s) == 10 {
		t, err := time.Parse(time.DateOnly, s)
		return t, err == nil && isDigit(s[0]) && isDigit(s[5]) && isDigit(s[8])
	}
	return parseDateTime(s)
}

// parseDateTime accepts RFC 3339 date-times (section 5.6), as strictly as
// the schema's "date-time" format, except that leap seconds are rejected
// (Go's time package cannot represent them). The result is in UTC and
// always fits a JSON time (year 0-9999).
func parseDateTime(s string) (time.Time, bool) {
	// YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
	if len(s) < 20 {
		return time.Time{}, false
	}
	for i := 0; i < 19; i++ {
		switch i {
		case 4, 7:
			if s[i] != '-' {
				return time.Time{}, false
			}
		case 10:
			if s[i] != 'T' && s[i] != 't' {
				return time.Time{}, false
			}
		case 13, 16:
			if s[i] != ':' {
				return time.Time{}, false
			}
		default:
			if !isDigit(s[i]) {
				return time.Time{}, false
			}
		}
	}
	rest := s[19:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 {
			return time.Time{}, false
		}
		rest = rest[n:]
	}
	switch {
	case rest == "Z" || rest == "z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && isDigit(rest[1]) && isDigit(rest[2]) &&
		rest[3] == ':' && isDigit(rest[4]) && isDigit(rest[5]) && rest[1:3] <= "23" && rest[4:6] <= "59":
	default:
		return time.Time{}, false
	}
	norm := s
	if s[10] == 't' || s[len(s)-1] == 'z' {
		norm = strings.ToUpper(s)
	}
	t, err := time.Parse(time.RFC3339Nano, norm)
	if err != nil {
		return time.Time{}, false
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}
