package jsonwire

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// maxSkipDepth is how deeply nested a skipped value may be before the
// Reader gives up (encoding/json allows 10,000; the fallback decides).
const maxSkipDepth = 64

// Reader decodes one JSON document of a known shape. Every method reads
// the value at the current position, after any whitespace. When the input
// is not what the fast path handles exactly as encoding/json does —
// malformed, null where a value is expected, invalid UTF-8, a number out
// of range, a member the caller does not know — the Reader gives up:
// Failed reports true from then on, every read returns a zero value, and
// the caller decodes the document with encoding/json instead, which then
// accepts or rejects it as it always did. Giving up is never an error in
// itself.
type Reader struct {
	data []byte
	// src is data as one string, made when the first string is read: the
	// strings read are its substrings, so a record costs one allocation for
	// all of its strings without escapes (and keeps the whole record alive
	// while any of them is).
	src    string
	i      int
	failed bool
}

// NewReader reads data.
func NewReader(data []byte) *Reader { return &Reader{data: data} }

// Valid reports whether data is one JSON value, as json.Valid does, or
// gives up (false, true) on what the Reader leaves to encoding/json.
func Valid(data []byte) (valid, gaveUp bool) {
	r := Reader{data: data}
	r.Skip()
	r.End()
	return !r.failed, r.failed
}

// Failed reports whether the Reader gave up.
func (r *Reader) Failed() bool { return r.failed }

// Fail gives up: the caller found something it does not handle.
func (r *Reader) Fail() {
	r.failed = true
	r.i = len(r.data)
}

func (r *Reader) ws() {
	for r.i < len(r.data) {
		// one test for the bytes above the space (all but whitespace in
		// compact JSON, such as every line `enricher tag` reads): the
		// switch compiled to a search whose branches mispredicted
		// (~1 % of enricher tag's mispredicted branches)
		c := r.data[r.i]
		if c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return
		}
		r.i++
	}
}

// peek returns the next byte after whitespace, or 0 at the end.
func (r *Reader) peek() byte {
	r.ws()
	if r.i < len(r.data) {
		return r.data[r.i]
	}
	return 0
}

// IsNull reports whether the next value is null, and consumes it if so.
func (r *Reader) IsNull() bool {
	if r.peek() == 'n' && bytes.HasPrefix(r.data[r.i:], []byte("null")) {
		r.i += 4
		return true
	}
	return false
}

// End checks that nothing but whitespace follows the document.
func (r *Reader) End() {
	if r.peek() != 0 || r.i != len(r.data) {
		r.Fail()
	}
}

// Object reads an object, calling member for each key in order; member
// must read the value (or call Skip or Fail). The key is only valid during
// the call. Keys with escapes or non-ASCII bytes make the Reader give up:
// encoding/json matches keys case-insensitively (with Unicode folding),
// which the callers leave to it.
func (r *Reader) Object(member func(key []byte)) {
	if !r.open('{', '}') {
		return
	}
	for !r.failed {
		if r.peek() != '"' {
			r.Fail()
			return
		}
		start := r.i + 1
		end := start
		for end < len(r.data) && r.data[end] != '"' {
			if c := r.data[end]; c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				r.Fail()
				return
			}
			end++
		}
		if end >= len(r.data) {
			r.Fail()
			return
		}
		r.i = end + 1
		if r.peek() != ':' {
			r.Fail()
			return
		}
		r.i++
		member(r.data[start:end])
		if !r.next('}') {
			return
		}
	}
}

// Array reads an array, calling elem to read each element.
func (r *Reader) Array(elem func()) {
	if !r.open('[', ']') {
		return
	}
	for !r.failed {
		elem()
		if !r.next(']') {
			return
		}
	}
}

// open consumes the opening bracket of an object or array; false when the
// value is not one (the Reader gives up) or is empty (consumed whole).
func (r *Reader) open(opening, closing byte) bool {
	if r.peek() != opening {
		r.Fail()
		return false
	}
	r.i++
	if r.peek() == closing {
		r.i++
		return false
	}
	return true
}

// next consumes what follows a member or element: a comma (true: another
// one follows) or the closing bracket (false), else the Reader gives up.
func (r *Reader) next(closing byte) bool {
	switch r.peek() {
	case ',':
		r.i++
		return true
	case closing:
		r.i++
		return false
	}
	r.Fail()
	return false
}

// stringEnd returns the offset of the closing quote of the string whose
// body starts at start, and whether it has escapes; it gives up on
// control bytes, bad escapes and invalid UTF-8.
func (r *Reader) stringEnd(start int) (int, bool) {
	d := r.data
	escaped := false
	var high uint64 // the high bits of every byte seen: non-ASCII if set
	j := start
	for {
		// Eight bytes at a time while none is a quote, a backslash or a
		// control byte; then straight to the first such byte: the lowest
		// byte the tests flag is one (they can flag bytes above it too,
		// through borrows, never below). Stepping to it a byte at a time
		// retried the word test at every byte, for the closing quote of
		// every string.
		for j+8 <= len(d) {
			w := binary.LittleEndian.Uint64(d[j:])
			if m := hasZero(w^(ones*'"')) | hasZero(w^(ones*'\\')) | hasLess(w, 0x20); m != 0 {
				k := bits.TrailingZeros64(m) >> 3
				high |= w & (1<<(8*k) - 1)
				j += k
				break
			}
			high |= w
			j += 8
		}
		if j >= len(d) {
			r.Fail()
			return 0, false
		}
		c := d[j]
		switch {
		case c == '"':
			if high&(ones*0x80) != 0 && !utf8.Valid(d[start:j]) {
				r.Fail()
				return 0, false
			}
			return j, escaped
		case c == '\\':
			escaped = true
			if j+1 >= len(d) {
				r.Fail()
				return 0, false
			}
			switch d[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(d) || !isHex(d[j+2]) || !isHex(d[j+3]) || !isHex(d[j+4]) || !isHex(d[j+5]) {
					r.Fail()
					return 0, false
				}
				j += 6
			default:
				r.Fail()
				return 0, false
			}
		case c < 0x20:
			r.Fail()
			return 0, false
		default:
			high |= uint64(c)
			j++
		}
	}
}

// ones has 1 in every byte; ones*c has c in every byte.
const ones = 0x0101010101010101

// hasZero is non-zero when a byte of w is zero.
func hasZero(w uint64) uint64 { return (w - ones) &^ w & (ones * 0x80) }

// hasLess is non-zero when a byte of w is less than n (n <= 128).
func hasLess(w uint64, n byte) uint64 { return (w - ones*uint64(n)) &^ w & (ones * 0x80) }

// String reads a string.
func (r *Reader) String() string {
	if r.peek() != '"' {
		r.Fail()
		return ""
	}
	start := r.i + 1
	end, escaped := r.stringEnd(start)
	if r.failed {
		return ""
	}
	r.i = end + 1
	if escaped {
		return Unescape(r.data[start:end])
	}
	if r.src == "" {
		r.src = string(r.data)
	}
	return r.src[start:end]
}

// Raw reads any value and returns its bytes as they are in the input
// (what a json.RawMessage holds), a copy. null makes the Reader give up
// (encoding/json's handling of it depends on the target).
func (r *Reader) Raw() []byte {
	if r.IsNull() {
		r.Fail()
		return nil
	}
	start := r.i
	r.Skip()
	if r.failed {
		return nil
	}
	return bytes.Clone(r.data[start:r.i])
}

// Time reads a time as time.Time.UnmarshalJSON does (RFC 3339, strictly).
func (r *Reader) Time() time.Time {
	var t time.Time
	if r.peek() != '"' {
		r.Fail()
		return t
	}
	end := bytes.IndexByte(r.data[r.i+1:], '"')
	if end < 0 {
		r.Fail()
		return t
	}
	end += r.i + 1
	raw := r.data[r.i : end+1]
	if bytes.IndexByte(raw, '\\') >= 0 || t.UnmarshalJSON(raw) != nil {
		r.Fail()
		return time.Time{}
	}
	r.i = end + 1
	return t
}

// Bool reads true or false.
func (r *Reader) Bool() bool {
	switch r.peek() {
	case 't':
		if bytes.HasPrefix(r.data[r.i:], []byte("true")) {
			r.i += 4
			return true
		}
	case 'f':
		if bytes.HasPrefix(r.data[r.i:], []byte("false")) {
			r.i += 5
			return false
		}
	}
	r.Fail()
	return false
}

// number reads a number literal (RFC 8259 grammar) and reports whether it
// is an integer (no fraction, no exponent).
func (r *Reader) number() ([]byte, bool) {
	r.ws()
	d, start := r.data, r.i
	j := start
	if j < len(d) && d[j] == '-' {
		j++
	}
	switch {
	case j < len(d) && d[j] == '0':
		j++
	case j < len(d) && d[j] >= '1' && d[j] <= '9':
		j = skipDigits(d, j)
	default:
		r.Fail()
		return nil, false
	}
	integer, ok := true, true
	if j < len(d) && d[j] == '.' {
		integer = false
		if j, ok = requireDigits(d, j+1); !ok {
			r.Fail()
			return nil, false
		}
	}
	if j < len(d) && (d[j] == 'e' || d[j] == 'E') {
		integer = false
		j++
		if j < len(d) && (d[j] == '+' || d[j] == '-') {
			j++
		}
		if j, ok = requireDigits(d, j); !ok {
			r.Fail()
			return nil, false
		}
	}
	r.i = j
	return d[start:j], integer
}

// skipDigits returns the offset after the digits at d[j:].
func skipDigits(d []byte, j int) int {
	for j < len(d) && isDigit(d[j]) {
		j++
	}
	return j
}

// requireDigits is skipDigits, false when there is no digit at j.
func requireDigits(d []byte, j int) (int, bool) {
	end := skipDigits(d, j)
	return end, end > j
}

// Int reads an integer that fits an int, as encoding/json decodes into an
// int field (a fraction or an exponent is its error, so the Reader gives
// up).
func (r *Reader) Int() int {
	lit, integer := r.number()
	if r.failed {
		return 0
	}
	if !integer {
		r.Fail()
		return 0
	}
	neg := lit[0] == '-'
	digits := lit
	if neg {
		digits = lit[1:]
	}
	if len(digits) <= 18 {
		n := 0
		for _, c := range digits {
			n = n*10 + int(c-'0')
		}
		if neg {
			n = -n
		}
		return n
	}
	n, err := strconv.ParseInt(string(lit), 10, strconv.IntSize)
	if err != nil {
		r.Fail()
		return 0
	}
	return int(n)
}

// Float reads a number as encoding/json decodes into a float64.
func (r *Reader) Float() float64 {
	lit, _ := r.number()
	if r.failed {
		return 0
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		r.Fail()
		return 0
	}
	return f
}

// Skip reads any value and drops it (checking its syntax: what
// encoding/json would refuse makes the Reader give up).
func (r *Reader) Skip() { r.skip(0) }

func (r *Reader) skip(depth int) {
	if depth > maxSkipDepth {
		r.Fail()
		return
	}
	switch r.peek() {
	case '{':
		r.Object(func([]byte) { r.skip(depth + 1) })
	case '[':
		r.Array(func() { r.skip(depth + 1) })
	case '"':
		end, _ := r.stringEnd(r.i + 1)
		if !r.failed {
			r.i = end + 1
		}
	case 't', 'f':
		r.Bool()
	case 'n':
		if !r.IsNull() {
			r.Fail()
		}
	default:
		r.number()
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Unescape decodes the body of a valid JSON string (between its quotes)
// as encoding/json does: an unpaired surrogate escape becomes U+FFFD.
//
// It writes into a strings.Builder grown once to len(s) (the decoded
// string is never longer than its escaped body), so the string costs one
// allocation and no copy: an article's text with a quotation in it is
// the longest string `enricher tag` reads.
func Unescape(s []byte) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := bytes.IndexByte(s[i:], '\\')
			if j < 0 {
				j = len(s) - i
			}
			b.Write(s[i : i+j])
			i += j
			continue
		}
		e := s[i+1]
		i += 2
		switch e {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			rn := hex4(s[i:])
			i += 4
			if utf16.IsSurrogate(rn) {
				r2 := rune(-1)
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 = hex4(s[i+2:])
				}
				if dec := utf16.DecodeRune(rn, r2); dec != utf8.RuneError {
					rn = dec
					i += 6
				} else {
					rn = utf8.RuneError
				}
			}
			b.WriteRune(rn)
		default: // '"', '\\', '/'
			b.WriteByte(e)
		}
	}
	return b.String()
}

func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
