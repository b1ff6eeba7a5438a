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
//
// With ids, it also appends each token's word id in the matcher: the id of
// an ideograph from a table, of other tokens from the vocabulary.
func (z *zhLexicon) tokenize(ts *tokens, s string, extra uint8) {
	z.tokenizeIDs(ts, s, extra, nil, nil)
}

// tokenizeIDs is tokenize with word ids (see above) and, with ss, sentence
// numbers assigned as the tokens are made (the rules of zhSplitSentences).
// It is the hot loop of Chinese tagging: runs of common ideographs go
// through hanRun's table first; any other rune is one token (an ideograph,
// a punctuation mark) or starts one (a run of letters and digits,
// letterRun), and blanks end tokens.
func (z *zhLexicon) tokenizeIDs(ts *tokens, s string, extra uint8, ids *[]int32, ss *sentState) {
	n := len(s)
	norm, toks := ts.norm, ts.toks
	var wid []int32
	if ids != nil {
		wid = *ids
		if need := len(wid) + n/3 + 16; cap(wid) < need {
			wid = append(make([]int32, 0, need), wid...)
		}
	}
	han := z.han
	newline := true
	t2s := z.t2s
	for i := 0; i < n; {
		c := s[i]
		// the common case first: a run of ideographs of U+4E00-U+9FFF,
		// three bytes in and out, folded and numbered by one table
		if c >= 0xE4 && c <= 0xE9 && han != nil {
			fl := extra | fWord
			if newline {
				fl |= fParaStart
			}
			if ids != nil {
				wid = z.numberRest(wid, toks, norm)
			}
			from := len(toks)
			var j int
			j, toks, norm, wid = hanRun(han, s, i, fl, toks, norm, wid, ids != nil)
			if ss != nil && len(toks) > from {
				stampSentence(toks[from:], ss.next(fl, 0))
			}
			if j > i {
				i, newline = j, false
				continue
			}
		}
		var r rune
		w := 1
		if c < utf8.RuneSelf {
			r = rune(c)
		} else if r, w = decode3(s, i); w == 0 {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		fl := extra
		if newline {
			fl |= fParaStart
		}
		switch {
		case r >= t2sBase && r < t2sEnd && isHan(r):
			// the common case: a BMP ideograph, three bytes in and out
			ns := len(norm)
			if x := t2s[r-t2sBase]; x != 0 {
				r = x
			}
			if r < 0x800 || r >= 0x10000 {
				norm = utf8.AppendRune(norm, r)
			} else {
				norm = append(norm, byte(0xE0|r>>12), byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
			}
			toks = append(toks, token{start: int32(i), end: int32(i + w), ns: int32(ns), ne: int32(len(norm)), flags: fl | fWord, sent: ss.next(fl, 0)})
			i += w
			newline = false
		case isHan(r):
			ns := len(norm)
			norm = utf8.AppendRune(norm, r)
			toks = append(toks, token{start: int32(i), end: int32(i + w), ns: int32(ns), ne: int32(len(norm)), flags: fl | fWord, sent: ss.next(fl, 0)})
			i += w
			newline = false
		case r == '\n':
			newline = true
			i += w
		case r == ' ' || r == '\t' || r == '\r' || r == 0x3000 || r >= 0x80 && r < 0x3000 && unicode.IsSpace(r):
			i += w
		case r < 0x3000 && zhLetter(r) || r >= 0xFF10 && zhLetter(r):
			start, ns := i, len(norm)
			i, norm = z.letterRun(s, i, norm)
			toks = append(toks, token{start: int32(start), end: int32(i), ns: int32(ns), ne: int32(len(norm)), flags: fl | fWord, sent: ss.next(fl, 0)})
			newline = false
		default:
			ns := len(norm)
			p := zhPunct(r)
			norm = append(norm, p)
			toks = append(toks, token{start: int32(i), end: int32(i + w), ns: int32(ns), ne: int32(len(norm)), flags: fl, punct: p, sent: ss.next(fl, p)})
			i += w
			newline = false
		}
	}
	ts.norm, ts.toks = norm, toks
	if ids != nil {
		*ids = z.numberRest(wid, toks, norm)
	}
}

// numberRest appends the word ids of the tokens the general path made
// (those past len(wid)).
func (z *zhLexicon) numberRest(wid []int32, toks []token, norm []byte) []int32 {
	wm := z.lex.wm
	for k := len(wid); k < len(toks); k++ {
		t := &toks[k]
		if t.punct != 0 {
			wid = append(wid, wm.byteID[t.punct])
		} else {
			wid = append(wid, wm.wordID(norm[t.ns:t.ne]))
		}
	}
	return wid
}

// hanRun tokenises the run of common ideographs at s[i:] (one token each,
// folded and numbered by the table han), appending to toks, norm and, with
// withIDs, wid; it returns where the run ends. The first token gets flags
// fl, the others fl without fParaStart. A function of its own so that the
// compiler keeps the loop in registers.
func hanRun(han []uint32, s string, i int, fl uint8, toks []token, norm []byte, wid []int32, withIDs bool) (int, []token, []byte, []int32) {
	// writes go to the spare capacity (the caller reserves a token and three
	// bytes per three bytes of text); a full slice ends the run and the
	// general path grows it. The slices are cut to one length first so that
	// the loop runs without bounds checks.
	n := min((len(s)-i)/3, cap(toks)-len(toks), (cap(norm)-len(norm))/3)
	if withIDs {
		n = min(n, cap(wid)-len(wid))
	}
	if n <= 0 {
		return i, toks, norm, wid
	}
	tb := toks[len(toks) : len(toks)+n]
	nb := norm[len(norm) : len(norm)+3*n]
	src := s[i : i+3*n]
	var wb []int32
	if withIDs {
		wb = wid[len(wid) : len(wid)+n]
	}
	ns0 := int32(len(norm))
	k := 0
	for ; k < len(tb); k++ {
		q := src[3*k : 3*k+3]
		c, b1, b2 := q[0], q[1], q[2]
		if c < 0xE4 || c > 0xE9 || b1&0xC0 != 0x80 || b2&0xC0 != 0x80 {
			break
		}
		r := rune(c&0x0F)<<12 | rune(b1&0x3F)<<6 | rune(b2&0x3F)
		if r < hanBase {
			break
		}
		e := han[r-hanBase]
		if e == 0 {
			break
		}
		f := e >> 16
		o := nb[3*k : 3*k+3]
		o[0], o[1], o[2] = byte(0xE0|f>>12), byte(0x80|(f>>6)&0x3F), byte(0x80|f&0x3F)
		ns := ns0 + int32(3*k)
		at := int32(i + 3*k)
		// field by field (token.set): a composite literal goes through a
		// stack temporary, whose 16-byte reload waits on its five small
		// stores; a profile put about half of this loop's samples on it
		tb[k].set(int(at), int(at)+3, int(ns), int(ns)+3, fl&^fParaStart, 0)
		if withIDs {
			wb[k] = int32(e & 0xFFFF)
		}
	}
	if k > 0 {
		tb[0].flags = fl // only the first token can start a paragraph
	}
	if withIDs {
		wid = wid[:len(wid)+k]
	}
	return i + 3*k, toks[:len(toks)+k], norm[:int(ns0)+3*k], wid
}

// decode3 decodes a well-formed three-byte UTF-8 sequence at s[i] (the
// Han, kana, Hangul and CJK punctuation blocks); w is 0 for anything else.
func decode3(s string, i int) (r rune, w int) {
	if i+2 >= len(s) {
		return 0, 0
	}
	b0, b1, b2 := s[i], s[i+1], s[i+2]
	if b0&0xF0 != 0xE0 || b1&0xC0 != 0x80 || b2&0xC0 != 0x80 {
		return 0, 0
	}
	r = rune(b0&0x0F)<<12 | rune(b1&0x3F)<<6 | rune(b2&0x3F)
	if r < 0x800 || r >= 0xD800 && r <= 0xDFFF {
		return 0, 0 // overlong or a surrogate: let the slow path reject it
	}
	return r, 3
}

func runeBefore(s string, i int) rune {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

// sentState numbers sentences while tokens are made: a sentence ends after
// 。！？； (and their ASCII forms), with the closing quotes, brackets and
// end marks right after, and at every line break.
type sentState struct {
	cur     int32
	pending bool // an end mark was read: the next token that is not a closer starts a sentence
	inSent  bool // the current sentence has a token
}

// next gives the sentence of a token with flags fl and punctuation p (0 for
// words); a nil state gives 0.
func (s *sentState) next(fl uint8, p byte) int32 {
	if s == nil {
		return 0
	}
	closer := p == '"' || p == ')' || p == ']' || p == '>' || p == '.' || p == '!' || p == '?'
	if s.inSent && (fl&fParaStart != 0 || s.pending && !closer) {
		s.cur++
		s.pending = false
	}
	s.inSent = true
	if p == '.' || p == '!' || p == '?' || p == ';' {
		s.pending = true
	}
	return s.cur
}

// count is the number of sentences numbered.
func (s *sentState) count() int32 {
	if s.inSent {
		return s.cur + 1
	}
	return s.cur
}

// stampSentence gives the tokens of one ideograph run their sentence: a
// run has no punctuation inside, so it is all in one sentence.
func stampSentence(toks []token, sent int32) {
	for k := range toks {
		toks[k].sent = sent
	}
}

// letterRun reads the run of letters and digits starting at byte i of s
// ("WTO", "2019", full-width forms), appending its normal form to norm,
// and returns where it ends. A point or comma between digits stays inside
// ("1.5", "3,000").
func (z *zhLexicon) letterRun(s string, i int, norm []byte) (int, []byte) {
	start, n := i, len(s)
	for i < n {
		r2, w2 := decode(s, i)
		if zhLetter(r2) {
			norm = utf8.AppendRune(norm, z.zhNorm(r2))
			i += w2
			continue
		}
		if (r2 == '.' || r2 == ',') && i > start && zhDigit(runeBefore(s, i)) && i+1 < n && zhDigit(runeAt(s, i+1)) {
			norm = append(norm, byte(r2))
			i += w2
			continue
		}
		break
	}
	return i, norm
}
