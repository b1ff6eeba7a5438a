package jsonwire

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var stringSeeds = []string{"", "plain", `"q" \ /`, "\b\f\n\r\t\x00\x1f\x7f", "<a href='x'>&amp;</a>", "\u2028\u2029", "é中😀",
	"\xff", "\xe2\x80", "\xed\xa0\x80", "a\xc0\xafb", "Beijing’s “reply”", "12345678\"12345678\\",
	// Runs of eight plain bytes, then each kind of byte that ends one, at several offsets in a word.
	"abcdefgh<bcdefgh>bcdefgh&bcdefgh\x1fbcdefgh\x7fbcdefgh\u2028cdefghé", "1234567\n1234567\"123456\\12345\xff1234\x00",
	"0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%'()*+,-./:;=?@[]^_`{|}~"}

// FuzzAppendString: strings are written as encoding/json writes them, with
// and without HTML escaping.
func FuzzAppendString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s, true); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s, false); !bytes.Equal(append(got, '\n'), buf.Bytes()) {
			t.Fatalf("%q without HTML escapes: got %s, want %s", s, got, buf.Bytes())
		}
	})
}

// FuzzAppendFloat: floats are written as encoding/json writes them.
func FuzzAppendFloat(f *testing.F) {
	for _, x := range []float64{0, math.Copysign(0, -1), 1, -1.5, 1e-6, 9.99e-7, 1e20, 1e21, 123456789e-20, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		want, wantErr := json.Marshal(x)
		got, err := AppendFloat(nil, x)
		if (err == nil) != (wantErr == nil) || err == nil && !bytes.Equal(got, want) {
			t.Fatalf("%v: got %s (%v), want %s (%v)", x, got, err, want, wantErr)
		}
	})
}

// TestAppendFloatMilli: whole numbers of thousandths (appendMilli's fast
// path) and values next to them are written as encoding/json writes them.
func TestAppendFloatMilli(t *testing.T) {
	check := func(x float64) {
		t.Helper()
		want, _ := json.Marshal(x)
		if got, err := AppendFloat(nil, x); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%v: got %s (%v), want %s", x, got, err, want)
		}
	}
	for n := int64(-30000); n <= 30000; n++ {
		x := float64(n) / 1000
		check(x)
		check(math.Nextafter(x, 1))
		check(math.Nextafter(x, -1))
	}
	for _, x := range []float64{0.8 * 1.5 * 3, 1.2 * 0.5 * 4.5, 6.75 * 0.8, 999999999.999, -999999999.999, 999999999.9995, 1e9, 123456.789, 0.0005, 0.0015, 1e-3} {
		check(x)
	}
}

// FuzzAppendFloatMilli: the same for any n/1000 and its neighbours.
func FuzzAppendFloatMilli(f *testing.F) {
	f.Add(int64(944), int64(0))
	f.Add(int64(-999999999999), int64(1))
	f.Fuzz(func(t *testing.T, n, ulps int64) {
		x := float64(n) / 1000
		for ; ulps > 0 && ulps < 4; ulps-- {
			x = math.Nextafter(x, math.Inf(1))
		}
		want, wantErr := json.Marshal(x)
		got, err := AppendFloat(nil, x)
		if (err == nil) != (wantErr == nil) || err == nil && !bytes.Equal(got, want) {
			t.Fatalf("%v: got %s (%v), want %s (%v)", x, got, err, want, wantErr)
		}
	})
}

// TestAppendTime: times are written as time.Time.MarshalJSON writes them.
func TestAppendTime(t *testing.T) {
	for _, tm := range []time.Time{{}, time.Unix(1e9, 123).UTC(), time.Unix(1e9, 0).In(time.FixedZone("", -5*3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		want, wantErr := tm.MarshalJSON()
		got, err := AppendTime(nil, tm)
		if (err == nil) != (wantErr == nil) || err == nil && !bytes.Equal(got, want) {
			t.Errorf("%v: got %s (%v), want %s (%v)", tm, got, err, want, wantErr)
		}
	}
}

// FuzzReader: a document of one string, number, bool or skipped value is
// read as json.Unmarshal reads it, or the Reader gives up; it never takes
// what encoding/json refuses.
func FuzzReader(f *testing.F) {
	for _, s := range stringSeeds {
		b, _ := json.Marshal(s)
		f.Add(b)
	}
	for _, s := range []string{`"\u00e9\ud83d\ude00\ud800x"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\x"`, `"\u12"`, `-0`, `1.5e-3`, `1e400`, `01`, `1.`,
		`-`, `12345678901234567890`, `true`, `false`, `null`, `[1,{"a":[]}]`, `{"a":1,}`, ` "x" `, `"x" y`, "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var wantS string
		errS := json.Unmarshal(doc, &wantS)
		r := NewReader(doc)
		if got := r.String(); end(r) && (errS != nil || got != wantS) {
			t.Fatalf("%q: string %q, encoding/json: %q %v", doc, got, wantS, errS)
		}
		var wantF float64
		errF := json.Unmarshal(doc, &wantF)
		r = NewReader(doc)
		if got := r.Float(); end(r) && (errF != nil || math.Float64bits(got) != math.Float64bits(wantF)) {
			t.Fatalf("%q: float %v, encoding/json: %v %v", doc, got, wantF, errF)
		}
		var wantI int
		errI := json.Unmarshal(doc, &wantI)
		r = NewReader(doc)
		if got := r.Int(); end(r) && (errI != nil || got != wantI) {
			t.Fatalf("%q: int %v, encoding/json: %v %v", doc, got, wantI, errI)
		}
		var wantB bool
		errB := json.Unmarshal(doc, &wantB)
		r = NewReader(doc)
		if got := r.Bool(); end(r) && (errB != nil || got != wantB) {
			t.Fatalf("%q: bool %v, encoding/json: %v %v", doc, got, wantB, errB)
		}
		r = NewReader(doc)
		if r.Skip(); end(r) && !json.Valid(doc) {
			t.Fatalf("%q: skipped, but encoding/json says it is not JSON", doc)
		}
		r = NewReader(doc)
		if raw := r.Raw(); end(r) {
			var m json.RawMessage
			if err := json.Unmarshal(doc, &m); err != nil || !bytes.Equal(raw, bytes.TrimSpace(m)) {
				t.Fatalf("%q: raw %q, encoding/json: %q %v", doc, raw, m, err)
			}
		}
	})
}

// end checks the end of the document and reports whether r took it.
func end(r *Reader) bool {
	r.End()
	return !r.Failed()
}

// BenchmarkAppendString: an article's text (plain ASCII prose) as the
// enricher writes it, HTML escaped.
func BenchmarkAppendString(b *testing.B) {
	s := strings.Repeat("Officials in Beijing said on Tuesday that the door remains open to talks, a day after Washington raised tariffs. ", 40)
	b.SetBytes(int64(len(s)))
	var buf []byte
	for range b.N {
		buf = AppendString(buf[:0], s, true)
	}
}

// TestReaderStringEveryPosition: an escape, a closing quote, a control
// byte or invalid UTF-8 at each position of the eight-byte words (where
// stringEnd jumps to the first flagged byte) reads as encoding/json reads it.
func TestReaderStringEveryPosition(t *testing.T) {
	for _, special := range []string{`\"`, `\\`, `\n`, `\u00e9`, "\x01", "\xff", "é", "\xe2\x80\xa8"} {
		for pre := 0; pre < 20; pre++ {
			for _, base := range []string{"abcdefghijklmnopqrstuvwxyz", "ééééééééééé"} {
				doc := []byte(`"` + base[:pre] + special + base + `"`)
				var want string
				werr := json.Unmarshal(doc, &want)
				r := NewReader(doc)
				got := r.String()
				if end(r) && (werr != nil || got != want) {
					t.Errorf("%q: string %q, encoding/json %q %v", doc, got, want, werr)
				}
				if werr == nil && utf8.Valid(doc) && r.Failed() {
					t.Errorf("%q: the Reader gave up on a valid string", doc)
				}
			}
		}
	}
}

// TestAppendInt: integers are written as strconv writes them, after any
// prefix, at every length of the word path and around its limits.
func TestAppendInt(t *testing.T) {
	check := func(n int) {
		t.Helper()
		for _, prefix := range []string{"", `{"start":`} {
			dst := make([]byte, len(prefix), len(prefix)+len(prefix)%3)
			copy(dst, prefix)
			want := strconv.AppendInt([]byte(prefix), int64(n), 10)
			if got := AppendInt(dst, n); !bytes.Equal(got, want) {
				t.Fatalf("%d: got %s, want %s", n, got, want)
			}
		}
	}
	for n := -100_000; n <= 100_000; n++ {
		check(n)
	}
	for p := 1; p <= 1e9; p *= 10 {
		for _, n := range []int{p - 1, p, p + 1, 99999999 / p * p, -(p - 1), -p, -(p + 1)} {
			check(n)
		}
	}
	for _, n := range []int{99_999_999, 100_000_000, -99_999_999, -100_000_000, math.MaxInt32, math.MinInt32} {
		check(n)
	}
}

// FuzzAppendInt: any integer is written as strconv writes it.
func FuzzAppendInt(f *testing.F) {
	f.Add(0)
	f.Add(-1)
	f.Add(12345678)
	f.Fuzz(func(t *testing.T, n int) {
		if got, want := AppendInt([]byte("x"), n), strconv.AppendInt([]byte("x"), int64(n), 10); !bytes.Equal(got, want) {
			t.Fatalf("%d: got %s, want %s", n, got, want)
		}
	})
}

// TestAppendStringShort: strings of up to eight bytes (one word), and
// longer ones whose last word overlaps the words before, are written as
// encoding/json writes them after a prefix, whatever the spare capacity.
func TestAppendStringShort(t *testing.T) {
	alphabet := []string{"a", "Z", " ", "~", "\"", "\\", "<", ">", "&", "\x00", "\x1f", "\x7f", "é", "\u2028", "\xff", "中"}
	for n := 1; n <= 17; n++ {
		for k := 0; k < 400; k++ {
			var sb strings.Builder
			for sb.Len() < n {
				sb.WriteString(alphabet[(k*7+sb.Len()*13+k*k*sb.Len())%len(alphabet)])
				if k%3 == 0 {
					sb.WriteString("abcdefgh"[:sb.Len()%8])
				}
			}
			s := sb.String()
			for _, html := range []bool{true, false} {
				want := appendStringRef(s, html)
				for spare := 0; spare < 12; spare++ {
					dst := make([]byte, 3, 3+spare)
					copy(dst, "pre")
					if got := AppendString(dst, s, html); string(got) != "pre"+string(want) {
						t.Fatalf("%q (html %v, spare %d): got %s, want pre%s", s, html, spare, got, want)
					}
				}
			}
		}
	}
}

// appendStringRef is encoding/json's string: json.Marshal's with HTML
// escapes, an Encoder's without.
func appendStringRef(s string, html bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
