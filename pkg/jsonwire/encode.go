// Package jsonwire reads and writes the JSON of the pipeline's records
// without reflection, agreeing byte for byte with encoding/json: the
// appenders write what json.Marshal writes, and the Reader decodes what
// json.Unmarshal decodes — or gives up, and the caller decodes the input
// with encoding/json, so an input the fast path does not know (an unknown
// key in another case, invalid UTF-8, null where a value is expected)
// gets exactly encoding/json's answer. The record types and their field
// lists live with their packages (pkg/event, pkg/tageval); the tests there
// compare both directions with encoding/json.
package jsonwire

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// ErrUnsupported is returned for a value encoding/json refuses to encode:
// a NaN or infinite float, a time outside years 0-9999.
var ErrUnsupported = errors.New("value not representable in JSON")

const hex = "0123456789abcdef"

// safe[c] is true for the ASCII bytes a JSON string holds as they are when
// HTML is not escaped; htmlSafe[c] also excludes <, > and &.
var safe, htmlSafe [utf8.RuneSelf]bool

func init() {
	for c := ' '; c < utf8.RuneSelf; c++ {
		if c != '"' && c != '\\' {
			safe[c] = true
			htmlSafe[c] = c != '<' && c != '>' && c != '&'
		}
	}
}

// AppendString appends s as a JSON string as encoding/json writes it:
// \b \f \n \r \t and other control bytes as escapes, each invalid UTF-8
// byte as U+FFFD (Go 1.27's encoding/json, built on json/v2, writes the
// character, not an escape), U+2028 and U+2029 escaped, and <, >, & as
// \u003c \u003e \u0026 when escapeHTML (json.Marshal's default; an
// Encoder can turn it off).
func AppendString(dst []byte, s string, escapeHTML bool) []byte {
	if n := len(s); n > 0 && n <= 8 {
		// Up to eight bytes (codes, types, labels, short names: most
		// strings of a tags line) are tested as one word and written by
		// two stores: the byte loop's exit, at a different byte for each
		// string, and the copy's size-dependent branches were ~12 % of
		// the mispredicted branches of `enricher tag` on the samples.
		if out, ok := appendShort(dst, s, escapeHTML); ok {
			return out
		}
	}
	dst = append(dst, '"')
	set := &safe
	if escapeHTML {
		set = &htmlSafe
	}
	// Words of eight plain bytes are skipped at the start and after each
	// byte written otherwise, not before every byte: most strings written
	// are names and labels shorter than a word, for which the word loop
	// only cost a call per byte. When the words stop short of the end
	// only because fewer than eight bytes are left, the last eight bytes
	// are tested as one word (overlapping the words before).
	start, i := 0, 0
	if len(s) >= 8 {
		i = plainWords(s, escapeHTML)
		if len(s)-i < 8 && plainWord(load8(s[len(s)-8:]), escapeHTML) {
			i = len(s)
		}
	}
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if set[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			i += plainWordsFrom(s, i, escapeHTML)
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
		} else if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
		} else {
			i += size
		}
		i += plainWordsFrom(s, i, escapeHTML)
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plainWordsFrom is plainWords(s[i:]), without the call when fewer than
// eight bytes are left.
func plainWordsFrom(s string, i int, escapeHTML bool) int {
	if len(s)-i < 8 {
		return 0
	}
	return plainWords(s[i:], escapeHTML)
}

// plainWords returns how many bytes from the start of s, in whole words
// of eight, are ASCII that a JSON string holds as they are (an article's
// text is mostly such bytes): safe, and htmlSafe too when escapeHTML. The
// byte loop of AppendString handles the rest.
func plainWords(s string, escapeHTML bool) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if !plainWord(load8(s[i:]), escapeHTML) {
			break
		}
	}
	return i
}

// plainWord reports whether the eight bytes of w are all plain (see
// plainWords).
func plainWord(w uint64, escapeHTML bool) bool {
	const low7, high = ones * 0x7f, ones * 0x80
	// Three more bytes to refuse: <, > and & when HTML is escaped, else
	// the quote again.
	a, b, c := uint64(ones*'"'), uint64(ones*'"'), uint64(ones*'"')
	if escapeHTML {
		a, b, c = ones*'<', ones*'>', ones*'&'
	}
	x := w & low7
	// Per byte, the high bit of each term is set when: the byte is
	// ASCII (^w); it is at least 0x20 (x + 0x60); it is not the byte
	// xored in (a byte of x^k is at most 0x7f, and 0x7f added to it
	// carries into its high bit exactly when it is not zero). No sum
	// carries into the next byte.
	ok := ^w & (x + ones*0x60) & ((x ^ ones*'"') + low7) & ((x ^ ones*'\\') + low7) &
		((x ^ a) + low7) & ((x ^ b) + low7) & ((x ^ c) + low7)
	return ok&high == high
}

// appendShort appends s (1 to 8 bytes) between quotes when all its bytes
// are plain (see plainWords); ok is false, and dst as it was, otherwise.
// Its bytes are read as two words of four that overlap when s is shorter
// than eight (its first, middle and last byte when shorter than four),
// tested as one word and stored in dst's spare capacity, the closing
// quote written after the len(s) bytes kept.
func appendShort(dst []byte, s string, escapeHTML bool) ([]byte, bool) {
	n := len(s)
	var lo, hi uint32
	if n >= 4 {
		lo, hi = load4(s), load4(s[n-4:])
	} else {
		lo = uint32(s[0]) | uint32(s[n>>1])<<8 | uint32(s[n-1])<<16 | uint32(s[0])<<24
		hi = lo
	}
	if !plainWord(uint64(lo)|uint64(hi)<<32, escapeHTML) {
		return dst, false
	}
	dst = slices.Grow(dst, 10)
	l := len(dst)
	b := dst[l : l+10]
	b[0] = '"'
	if n >= 4 {
		binary.LittleEndian.PutUint32(b[1:], lo)
		binary.LittleEndian.PutUint32(b[n-3:], hi)
	} else {
		b[1], b[1+n>>1], b[n] = s[0], s[n>>1], s[n-1]
	}
	b[n+1] = '"'
	return dst[:l+n+2], true
}

// load4 is the first four bytes of s as a little-endian word.
func load4(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// load8 is the first eight bytes of s as a little-endian word (one load
// once compiled).
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// AppendFloat appends f as encoding/json writes a float64 (ES6 number
// formatting: exponents below 1e-6 and from 1e21). NaN and infinities are
// ErrUnsupported.
func AppendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, ErrUnsupported
	}
	if out, ok := appendMilli(dst, f); ok {
		return out, nil
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// appendMilli appends f when it is a whole number of thousandths under
// 1e9 in magnitude — the tensions (rounded to thousandths) and most cue
// weights a tags line holds — as strconv's shortest 'f' format writes it,
// without its general digit search (~1 % of enricher tag's instructions).
// The decimal m/1000 reads back as f (f is the division's correctly rounded
// result), and no shorter decimal does: it would be at least a thousandth
// away, far more than f's rounding interval below 1e9. ok is false for
// any other f, and for zero (whose sign strconv keeps).
func appendMilli(dst []byte, f float64) ([]byte, bool) {
	if !(f > -1e9 && f < 1e9) {
		return dst, false
	}
	m := math.Round(f * 1000)
	if m == 0 || m/1000 != f {
		return dst, false
	}
	n := int64(m)
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	dst = AppendInt(dst, int(n/1000))
	if frac := n % 1000; frac != 0 {
		digits := [4]byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		k := len(digits)
		for digits[k-1] == '0' {
			k--
		}
		dst = append(dst, digits[:k]...)
	}
	return dst, true
}

// AppendInt appends n as strconv.AppendInt writes it. Below 1e8 in
// magnitude (offsets, counts, polarities: a tags line has ~20) the digits
// are computed in one word and stored at once: strconv copies a string
// of the number's length, and that copy's branches on the length
// mispredicted.
func AppendInt(dst []byte, n int) []byte {
	if n <= -1e8 || n >= 1e8 {
		return strconv.AppendInt(dst, int64(n), 10)
	}
	neg := n >> 63 // -1 or 0
	v := digits8(uint64((n ^ neg) - neg))
	// leading zero digits are the word's low zero bytes; the last digit
	// is kept, so zero is "0"
	lead := bits.TrailingZeros64(v|1<<56) >> 3
	dst = slices.Grow(dst, 9)
	l := len(dst)
	b := dst[l : l+9]
	b[0] = '-'
	k := int(-neg)
	binary.LittleEndian.PutUint64(b[k:], v>>(8*lead)+ones*'0')
	return dst[:l+k+8-lead]
}

// digits8 is the eight decimal digits of u < 1e8 (leading zeros kept),
// one a byte, the most significant in the lowest byte (first in memory):
// u split into halves of four digits in 32-bit lanes, each of those into
// pairs in 16-bit lanes, each pair into digits in bytes, by multiplying
// by reciprocals (10486/2^20 is 1/100 and 103/2^10 is 1/10, exact after
// the floor for values below 10,000 and 100; no lane's product reaches
// the next lane).
func digits8(u uint64) uint64 {
	v := u/10000 | u%10000<<32
	q := v * 10486 >> 20 & (0x7f | 0x7f<<32)
	v = q | (v-q*100)<<16
	q = v * 103 >> 10 & (ones * 0x0f & 0x00ff00ff00ff00ff)
	return q | (v-q*10)<<8
}

// AppendBool appends true or false.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// AppendTime appends t as time.Time.MarshalJSON writes it (RFC 3339 with
// nanoseconds, quoted); a time it refuses is ErrUnsupported.
func AppendTime(dst []byte, t time.Time) ([]byte, error) {
	dst = append(dst, '"')
	out, err := t.AppendText(dst)
	if err != nil {
		return dst[:len(dst)-1], errors.Join(ErrUnsupported, err)
	}
	return append(out, '"'), nil
}

// AppendStrings appends a []string as encoding/json does: null when nil.
func AppendStrings(dst []byte, list []string, escapeHTML bool) []byte {
	if list == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, s, escapeHTML)
	}
	return append(dst, ']')
}
