package tagger

import (
	"unicode"
	"unicode/utf8"
)

// Chinese punctuation after normalisation. Quotes keep their side (opening
// quotes are '`', closing ones '"'; a straight ASCII quote is '"'), so a
// sentence end can take the closing quote after it without taking the next
// sentence's opening one. Middle dots join the parts of transliterated names.
const (
	zpOpenQuote = '`'
	zpNameDot   = '*'
)

// isHan tells whether r is a CJK ideograph (the unified blocks and the
// compatibility block).
func isHan(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || r >= 0x20000 && r <= 0x3134F || r >= 0xF900 && r <= 0xFAFF
}

// zhPunct maps a punctuation rune to its normalised byte.
func zhPunct(r rune) byte {
	switch r {
	case '。', '．', '｡', '.':
		return '.'
	case '！', '!':
		return '!'
	case '？', '?':
		return '?'
	case '；', ';':
		return ';'
	case '，', '、', '､', ',', '﹐', '﹑':
		return ','
	case '：', ':', '﹕':
		return ':'
	case '“', '‘', '「', '『', '〝', '﹁', '﹃', '«':
		return zpOpenQuote
	case '”', '’', '」', '』', '〞', '﹂', '﹄', '»', '"', '\'', '＂', '＇':
		return '"'
	case '（', '(', '﹙':
		return '('
	case '）', ')', '﹚':
		return ')'
	case '《', '〈', '<', '＜':
		return '<'
	case '》', '〉', '>', '＞':
		return '>'
	case '【', '[', '〔', '［', '〖':
		return '['
	case '】', ']', '〕', '］', '〗':
		return ']'
	case '·', '•', '・', '‧', '･', '∙', '⋅':
		return zpNameDot
	case '—', '–', '‒', '―', '-', '－', '─', '～', '~':
		return '-'
	case '%', '％':
		return '%'
	case '/', '／':
		return '/'
	case '$', '＄':
		return '$'
	}
	return '~'
}

// zhLetter tells whether r continues a non-Han word (letters and digits of
// any script but Han, full-width ASCII letters and digits).
func zhLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	if r >= 0xFF10 && r <= 0xFF19 || r >= 0xFF21 && r <= 0xFF3A || r >= 0xFF41 && r <= 0xFF5A {
		return true
	}
	return !isHan(r) && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func zhDigit(r rune) bool { return r >= '0' && r <= '9' || r >= 0xFF10 && r <= 0xFF19 }

// tokenize appends the tokens of s to ts: one token per Han character
// (normalised to Simplified), words of other letters and numbers whole
// ("G20", "3,000", "1.5"), every punctuation mark a token of its own (see
// zhPunct). Spaces only separate; a line break marks the next token
// fParaStart. Offsets are byte offsets into s; the normalised text of a
// token is in ts.norm[ns:ne], without separators.
func (z *zhLexicon) tokenize(ts *tokens, s string, extra uint8) {
	n := len(s)
	norm, toks := ts.norm, ts.toks
	if need := len(norm) + n + 16; cap(norm) < need {
		norm = append(make([]byte, 0, need), norm...)
	}
	if need := len(toks) + n/3 + 16; cap(toks) < need {
		toks = append(make([]token, 0, need), toks...)
	}
	newline := true
	for i := 0; i < n; {
		c := s[i]
		var r rune
		w := 1
		if c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		fl := extra
		if newline {
			fl |= fParaStart
		}
		switch {
		case r >= 0x4E00 && r <= 0x9FFF || isHan(r):
			ns := len(norm)
			nr := r
			if r < t2sEnd {
				if x := z.t2s[r-t2sBase]; x != 0 {
					nr = x
				}
			}
			norm = utf8.AppendRune(norm, nr)
			toks = append(toks, token{start: int32(i), end: int32(i + w), ns: int32(ns), ne: int32(len(norm)), flags: fl | fWord})
			i += w
			newline = false
		case r == '\n':
			newline = true
			i += w
		case r == ' ' || r == '\t' || r == '\r' || r == 0x3000 || unicode.IsSpace(r):
			i += w
		case zhLetter(r):
			start, ns := i, len(norm)
			for i < n {
				r2, w2 := decode(s, i)
				if zhLetter(r2) {
					norm = utf8.AppendRune(norm, z.zhNorm(r2))
					i += w2
					continue
				}
				// "1.5", "3,000": a point or comma between digits
				if (r2 == '.' || r2 == ',') && i > start && zhDigit(runeBefore(s, i)) && i+1 < n && zhDigit(runeAt(s, i+1)) {
					norm = append(norm, byte(r2))
					i += w2
					continue
				}
				break
			}
			toks = append(toks, token{start: int32(start), end: int32(i), ns: int32(ns), ne: int32(len(norm)), flags: fl | fWord})
			newline = false
		default:
			ns := len(norm)
			p := zhPunct(r)
			norm = append(norm, p)
			toks = append(toks, token{start: int32(i), end: int32(i + w), ns: int32(ns), ne: int32(len(norm)), flags: fl, punct: p})
			i += w
			newline = false
		}
	}
	ts.norm, ts.toks = norm, toks
}

func runeBefore(s string, i int) rune {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

// zhSplitSentences assigns sentence numbers to toks[from:], starting at
// first: a sentence ends after 。！？； (and their ASCII forms), with the closing
// quotes and brackets right after, and at every line break. It returns the
// next number.
func zhSplitSentences(toks []token, from int, first int32) int32 {
	sent := first
	for i := from; i < len(toks); i++ {
		t := &toks[i]
		if i > from && t.is(fParaStart) && toks[i-1].sent == sent {
			sent++
		}
		t.sent = sent
		switch t.punct {
		case '.', '!', '?', ';':
			j := i + 1
			for j < len(toks) && !toks[j].is(fParaStart) {
				p := toks[j].punct
				if p != '"' && p != ')' && p != ']' && p != '>' && p != '.' && p != '!' && p != '?' {
					break
				}
				toks[j].sent = sent
				j++
			}
			i = j - 1
			if j < len(toks) {
				sent++
			}
		}
	}
	if len(toks) > from && toks[len(toks)-1].sent == sent {
		sent++
	}
	return sent
}
