package tagger

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// tokenizeRef is the tokenizer before the ASCII fast path, kept as the
// reference the fast one must agree with (TestTokenizeSame, FuzzTokenizeSame).
// It appends the tokens of s to ts. Words are runs of letters and digits,
// keeping inner apostrophes ("won't") but splitting a possessive "'s" into its
// own token; "U.S." and "J.P." are one token normalised without dots; digits
// keep inner '.' and ','; hyphens between words separate them without a token;
// other punctuation is a one-character token, with quotes normalised to '"'
// and dashes to '-'. sent is left 0; sentences are assigned by splitSentences.
func (ts *tokens) tokenizeRef(s string, extra uint8) {
	n := len(s)
	if need := len(ts.norm) + n + n/4 + 16; cap(ts.norm) < need {
		ts.norm = append(make([]byte, 0, need), ts.norm...)
	}
	if need := len(ts.toks) + n/3 + 16; cap(ts.toks) < need {
		ts.toks = append(make([]token, 0, need), ts.toks...)
	}
	newline := true
	i := 0
	for i < n {
		r, w := decode(s, i)
		if r == '\n' {
			newline = true
			i += w
			continue
		}
		if r == ' ' || r == '\t' || r == '\r' || unicode.IsSpace(r) {
			i += w
			continue
		}
		var fl uint8 = extra
		if newline {
			fl |= fParaStart
			newline = false
		}
		if isLetterOrDigit(r) {
			start := i
			ns := len(ts.norm)
			if len(ts.toks) > 0 && ns > 0 {
				ts.norm = append(ts.norm, ' ')
				ns++
			}
			hasLetter, allUpper := false, true
			firstUpper := unicode.IsUpper(r)
			letters := 0
			// abbreviation "U.S." / "J.P." / "D.C."
			if unicode.IsLetter(r) && i+w+1 < n && s[i+w] == '.' {
				j := i
				k := 0
				for j+1 < n {
					rr, ww := decode(s, j)
					if !unicode.IsLetter(rr) || j+ww >= n || s[j+ww] != '.' {
						break
					}
					k++
					j += ww + 1
				}
				if k >= 2 {
					for p := i; p < j; {
						rr, ww := decode(s, p)
						if rr != '.' {
							ts.norm = appendNorm(ts.norm, rr)
							if unicode.IsLower(rr) {
								allUpper = false
							}
						}
						p += ww
					}
					ts.toks = append(ts.toks, token{start: int32(start), end: int32(j), ns: int32(ns), ne: int32(len(ts.norm)), flags: fl | fWord | fAbbrev | boolFlag(firstUpper, fCap) | boolFlag(allUpper, fAllCaps)})
					i = j
					continue
				}
			}
			for i < n {
				if c := s[i]; c < utf8.RuneSelf {
					switch {
					case c >= 'a' && c <= 'z':
						hasLetter = true
						letters++
						allUpper = false
						ts.norm = append(ts.norm, c)
						i++
						continue
					case c >= 'A' && c <= 'Z':
						hasLetter = true
						letters++
						ts.norm = append(ts.norm, c+'a'-'A')
						i++
						continue
					case c >= '0' && c <= '9':
						ts.norm = append(ts.norm, c)
						i++
						continue
					}
				}
				r, w = decode(s, i)
				if isLetterOrDigit(r) {
					if unicode.IsLetter(r) {
						hasLetter = true
						letters++
						if !unicode.IsUpper(r) {
							allUpper = false
						}
					}
					ts.norm = appendNorm(ts.norm, r)
					i += w
					continue
				}
				if (r == '.' || r == ',') && i+1 < n && s[i+1] >= '0' && s[i+1] <= '9' && i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
					ts.norm = append(ts.norm, byte(r))
					i++
					continue
				}
				if isApos(r) && i+w < n {
					r2, w2 := decode(s, i+w)
					if isLetterOrDigit(r2) {
						// possessive 's: split
						if (r2 == 's' || r2 == 'S') && (i+w+w2 >= n || !isLetterOrDigit(runeAt(s, i+w+w2))) {
							break
						}
						ts.norm = append(ts.norm, '\'')
						i += w
						continue
					}
				}
				if r == '&' && i+1 < n && isLetterOrDigit(runeAt(s, i+1)) && i > start {
					// AT&T, S&P
					ts.norm = append(ts.norm, '&')
					i++
					continue
				}
				break
			}
			if !hasLetter {
				allUpper = false
			}
			ts.toks = append(ts.toks, token{start: int32(start), end: int32(i), ns: int32(ns), ne: int32(len(ts.norm)), flags: fl | fWord | boolFlag(firstUpper, fCap) | boolFlag(allUpper && letters > 0, fAllCaps)})
			continue
		}
		// possessive 's as its own token
		if isApos(r) && i+w < n {
			r2, w2 := decode(s, i+w)
			if (r2 == 's' || r2 == 'S') && (i+w+w2 >= n || !isLetterOrDigit(runeAt(s, i+w+w2))) && len(ts.toks) > 0 && int(ts.toks[len(ts.toks)-1].end) == i {
				ns := len(ts.norm) + 1
				ts.norm = append(ts.norm, ' ', '\'', 's')
				ts.toks = append(ts.toks, token{start: int32(i), end: int32(i + w + w2), ns: int32(ns), ne: int32(len(ts.norm)), flags: fl | fWord})
				i += w + w2
				continue
			}
		}
		// hyphen joining two words: separator only
		if (r == '-' || r == '‐' || r == '‑') && i > 0 && i+w < n && isLetterOrDigit(runeAt(s, i+w)) && len(ts.toks) > 0 && int(ts.toks[len(ts.toks)-1].end) == i {
			i += w
			continue
		}
		var p byte
		switch {
		case isQuote(r):
			p = '"'
		case isApos(r):
			p = '"'
		case isDash(r) || r == '-':
			p = '-'
		case r < utf8.RuneSelf:
			p = byte(r)
		default:
			p = '~'
		}
		ns := len(ts.norm)
		if len(ts.toks) > 0 && ns > 0 {
			ts.norm = append(ts.norm, ' ')
			ns++
		}
		ts.norm = append(ts.norm, p)
		ts.toks = append(ts.toks, token{start: int32(i), end: int32(i + w), ns: int32(ns), ne: int32(len(ts.norm)), flags: fl, punct: p})
		i += w
	}
}

func sameTokens(t *testing.T, s string) {
	t.Helper()
	var a, b tokens
	a.tokenize("x y", fTitle)
	b.tokenizeRef("x y", fTitle)
	a.tokenize(s, 0)
	b.tokenizeRef(s, 0)
	if string(a.norm) != string(b.norm) || !slices.Equal(a.toks, b.toks) {
		t.Fatalf("tokenize differs from tokenizeRef on %q:\n%q\n%q", s, a.norm, b.norm)
	}
}

// TestTokenizeSame: the fast tokenizer gives exactly the reference's tokens
// on the golden inputs, the sample articles and random strings.
func TestTokenizeSame(t *testing.T) {
	tg := newTagger(t)
	checkTokenizeSame(t, goldenInputs(tg))
	checkTokenizeSame(t, sampleInputs(t))
	r := rand.New(rand.NewSource(3))
	alphabet := []string{"a", "Z", "9", ".", ",", "'", "’", "s", "S", "-", "‐", "—", " ", "\n", "\t", "\v", "\u00a0", "\u2028", "é", "É", "İ", "Ⱥ", "…", "•", "\u2030", "\u205e", "\u205f", "\u2000", "\u2010", "\u2027", "&", "\"", "“", "\xff", "\xe2\x80", "U.S.", "J.P.", "1.5", "3,000"}
	for i := 0; i < 20000; i++ {
		var sb strings.Builder
		for k := r.Intn(20); k >= 0; k-- {
			sb.WriteString(alphabet[r.Intn(len(alphabet))])
		}
		sameTokens(t, sb.String())
	}
}

func checkTokenizeSame(t *testing.T, ins [][2]string) {
	t.Helper()
	for _, in := range ins {
		sameTokens(t, in[0])
		sameTokens(t, in[1])
	}
}

func FuzzTokenizeSame(f *testing.F) {
	for _, s := range []string{"U.S.-China", "it's Xi’s", "A&B 1,000.5", "É\u00a0x\v\fy", "\xff'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { sameTokens(t, s) })
}

func BenchmarkTokenize(b *testing.B) {
	arts, total := benchArticles()
	var ts tokens
	b.SetBytes(int64(total))
	for b.Loop() {
		for _, a := range arts {
			ts.toks, ts.norm = ts.toks[:0], ts.norm[:0]
			ts.tokenize(a, 0)
		}
	}
}

func BenchmarkTokenizeRef(b *testing.B) {
	arts, total := benchArticles()
	var ts tokens
	b.SetBytes(int64(total))
	for b.Loop() {
		for _, a := range arts {
			ts.toks, ts.norm = ts.toks[:0], ts.norm[:0]
			ts.tokenizeRef(a, 0)
		}
	}
}
