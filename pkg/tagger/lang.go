package tagger

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tension-dev/tension/pkg/event"
)

// Languages the tagger reads. Anything else is reported as unsupported.
const (
	LangEnglish = "en"
	LangChinese = "zh"
)

// detectSpan is how much of a text DetectLang reads: enough to tell the
// script of a news article, and a small constant cost per article.
const detectSpan = 256

// englishWord tells whether a lower-case ASCII word of at most five letters,
// packed big-endian into w, is an English function word that any English
// news text of some length has.
func englishWord(w uint64) bool {
	switch w {
	case 't'<<16 | 'h'<<8 | 'e', 'o'<<8 | 'f', 'a'<<16 | 'n'<<8 | 'd', 't'<<8 | 'o', 'i'<<8 | 'n', 'a',
		'i'<<8 | 's', 'f'<<16 | 'o'<<8 | 'r', 'o'<<8 | 'n', 't'<<24 | 'h'<<16 | 'a'<<8 | 't',
		'w'<<24 | 'i'<<16 | 't'<<8 | 'h', 's'<<24 | 'a'<<16 | 'i'<<8 | 'd', 'b'<<8 | 'y', 'a'<<8 | 's',
		'a'<<8 | 't', 'f'<<24 | 'r'<<16 | 'o'<<8 | 'm', 'i'<<8 | 't', 'w'<<16 | 'a'<<8 | 's',
		'h'<<16 | 'a'<<8 | 's', 'h'<<24 | 'a'<<16 | 'v'<<8 | 'e', 'w'<<24 | 'i'<<16 | 'l'<<8 | 'l',
		'a'<<16 | 'r'<<8 | 'e', 'i'<<16 | 't'<<8 | 's', 'b'<<8 | 'e', 'a'<<8 | 'n',
		'w'<<32 | 'o'<<24 | 'u'<<16 | 'l'<<8 | 'd', 'a'<<32 | 'f'<<24 | 't'<<16 | 'e'<<8 | 'r',
		's'<<24 | 'a'<<16 | 'y'<<8 | 's', 'h'<<8 | 'e', 's'<<16 | 'h'<<8 | 'e':
		return true
	}
	return false
}

// wordSpan is how much of a Latin-script opening is split into words to look
// for English function words (some forty words).
const wordSpan = 256

// langCount counts the letters of each script in a text's opening.
type langCount struct {
	han, kana, hangul, other int
	latin                    int // ASCII bytes and Latin letters with accents
	otherScript              string
	words, english           int
}

// scan counts the scripts of the first detectSpan bytes of s: ASCII eight
// bytes at a time, other characters one by one.
func (c *langCount) scan(s string) {
	if len(s) > detectSpan {
		s = s[:detectSpan]
	}
	for i := 0; i < len(s); {
		if i+8 <= len(s) && load64(s, i)&0x8080808080808080 == 0 {
			c.latin += 8
			i += 8
			continue
		}
		b := s[i]
		if b < utf8.RuneSelf {
			c.latin++
			i++
			continue
		}
		if b >= 0xE4 && b <= 0xE9 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			c.han++ // U+4000-U+9FFF: (almost all) ideographs
			i += 3
			continue
		}
		r, w := decode3(s, i)
		if w == 0 {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		i += w
		switch {
		case isHan(r):
			c.han++
		case r >= 0x3000 && r <= 0x303F || r >= 0xFF00 && r <= 0xFF0F || r >= 0x2000 && r <= 0x206F:
			// CJK and general punctuation
		case r >= 0xC0 && r < 0x250:
			c.latin++
		case r >= 0x3040 && r <= 0x30FF:
			c.kana++
		case r >= 0xAC00 && r <= 0xD7AF || r >= 0x1100 && r <= 0x11FF:
			c.hangul++
		case unicode.IsLetter(r):
			c.other++
			if c.otherScript == "" {
				c.otherScript = scriptName(r)
			}
		}
	}
}

// isASCII tells whether s has only ASCII bytes, eight at a time.
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if load64(s, i)&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// countWords counts the Latin words of s and the English function words
// among them.
func (c *langCount) countWords(s string) {
	var w uint64
	wl := 0 // letters of the current word; more than five: no function word
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			b := s[i]
			if l := b | 0x20; l >= 'a' && l <= 'z' {
				w = w<<8 | uint64(l)
				wl++
				continue
			}
			if b >= utf8.RuneSelf && wl > 0 {
				wl = 6 // letters with accents: no English function word
				continue
			}
		}
		if wl > 0 {
			c.words++
			if wl <= 5 && englishWord(w) {
				if c.english++; c.english >= 3 {
					c.words = max(c.words, 12) // English for sure: stop here
					return
				}
			}
			w, wl = 0, 0
		}
	}
}

// DetectLang names the language of a text from its script, reading at most
// the first 256 bytes of the title and of the text: "zh" when Han characters are at least a quarter of the
// ASCII bytes (a Chinese word is one or two characters, an English one five
// letters and a space), "ja" with kana, "ko" with Hangul,
// "en" for Latin script with English function words (or too short to tell),
// "und-Latn" for other Latin-script text, "und-<Script>" for other scripts
// and "und" when there are no letters.
func DetectLang(title, text string) string {
	var c langCount
	// the common case first: an English opening (function words, no
	// character beyond ASCII) needs no more reading
	if head := text[:min(len(text), wordSpan)]; isASCII(head) {
		if c.countWords(head); c.english >= 3 {
			return LangEnglish
		}
		c = langCount{}
	}
	c.scan(title)
	c.scan(text)
	switch {
	case c.kana > 0 && c.kana*5 >= c.han && (c.han+c.kana)*4 >= c.latin:
		return "ja"
	case c.hangul > 0 && c.hangul*4 >= c.latin && c.hangul >= c.han:
		return "ko"
	case c.han > 0 && c.han*4 >= c.latin:
		return LangChinese
	}
	c.countWords(title[:min(len(title), wordSpan)])
	c.countWords(text[:min(len(text), wordSpan)])
	switch {
	case c.words > 0 && c.latin >= c.other:
		if c.words < 12 || c.english*20 >= c.words {
			return LangEnglish
		}
		return "und-Latn"
	case c.other > 0:
		return "und-" + c.otherScript
	}
	return "und"
}

// scriptName gives the ISO 15924 code of the scripts a news text is likely
// to be in.
func scriptName(r rune) string {
	for _, s := range []struct {
		code string
		tab  *unicode.RangeTable
	}{{"Cyrl", unicode.Cyrillic}, {"Arab", unicode.Arabic}, {"Hebr", unicode.Hebrew}, {"Grek", unicode.Greek},
		{"Thai", unicode.Thai}, {"Deva", unicode.Devanagari}, {"Beng", unicode.Bengali}, {"Tamil", unicode.Tamil}} {
		if unicode.Is(s.tab, r) {
			if s.code == "Tamil" {
				return "Taml"
			}
			return s.code
		}
	}
	return "Zyyy"
}

// analyser maps a language tag to the analyser that reads it: "en" or "zh"
// (Chinese in any script or region: zh, zh-Hans, zh-Hant, zh-TW, cmn, yue),
// or "" for none.
func analyser(lang string) string {
	primary, _, _ := strings.Cut(strings.ToLower(lang), "-")
	switch primary {
	case "en":
		return LangEnglish
	case "zh", "cmn", "yue":
		return LangChinese
	}
	return ""
}

// TagLang tags one article in the language lang: the article's own language
// tag when it has one (it wins over detection), or "" to detect it from the
// script (DetectLang). Tags.Lang says which language was read; a language
// the tagger has no analyser for gives empty tags with Unsupported set. An
// article over the work budget gets empty tags (see TagLangContext).
func (t *Tagger) TagLang(title, text, lang string) event.Tags {
	tags, _ := t.TagLangContext(context.Background(), title, text, lang)
	return tags
}

// TagLangContext is TagLang with a context and the errors of TagContext.
func (t *Tagger) TagLangContext(ctx context.Context, title, text, lang string) (event.Tags, error) {
	if lang == "" {
		lang = DetectLang(title, text)
	}
	var tags event.Tags
	var err error
	switch analyser(lang) {
	case LangEnglish:
		tags, err = t.tagEN(ctx, title, text)
	case LangChinese:
		tags, err = t.tagZH(ctx, title, text)
	default:
		tags = event.Tags{Countries: []string{}, Entities: []event.Entity{}, Topics: []string{}, Dyads: []event.Dyad{}, Unsupported: true}
	}
	tags.Lang = lang
	return tags, err
}
