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
// script of a news article, and a constant cost per article.
const detectSpan = 16 << 10

// englishWords are function words that any English news text of some length
// has; a Latin-script text without them is not read as English.
var englishWords = map[string]bool{"the": true, "of": true, "and": true, "to": true, "in": true, "a": true,
	"is": true, "for": true, "on": true, "that": true, "with": true, "said": true, "by": true, "as": true,
	"at": true, "from": true, "it": true, "was": true, "has": true, "have": true, "will": true, "are": true,
	"its": true, "be": true, "an": true, "would": true, "after": true, "says": true, "he": true, "she": true}

// DetectLang names the language of a text from its script, reading at most
// the first 16 KiB of title and text: "zh" when Han characters weigh at least
// a third of the Latin letters (a Chinese word is one or two characters, an
// English one five letters), "ja" with kana, "ko" with Hangul, "en" for Latin
// script with English function words (or too short to tell), "und-Latn" for
// other Latin-script text, "und-<Script>" for other scripts and "und" when
// there are no letters.
func DetectLang(title, text string) string {
	var han, kana, hangul, latin, other int
	otherScript := ""
	words, english := 0, 0
	scan := func(s string) {
		if len(s) > detectSpan {
			s = s[:detectSpan]
		}
		wordStart := -1
		for i := 0; i <= len(s); {
			var r rune
			w := 1
			if i < len(s) {
				r, w = decode(s, i)
			}
			isLatin := i < len(s) && (r < utf8.RuneSelf && (r|0x20 >= 'a' && r|0x20 <= 'z') || r >= 0xC0 && r < 0x250)
			if isLatin {
				latin++
				if wordStart < 0 {
					wordStart = i
				}
			} else if wordStart >= 0 {
				words++
				if i-wordStart <= 6 && englishWords[strings.ToLower(s[wordStart:i])] {
					english++
				}
				wordStart = -1
			}
			if i >= len(s) {
				break
			}
			switch {
			case isLatin:
			case isHan(r):
				han++
			case r >= 0x3040 && r <= 0x30FF:
				kana++
			case r >= 0xAC00 && r <= 0xD7AF || r >= 0x1100 && r <= 0x11FF:
				hangul++
			case r >= utf8.RuneSelf && unicode.IsLetter(r):
				other++
				if otherScript == "" {
					otherScript = scriptName(r)
				}
			}
			i += w
		}
	}
	scan(title)
	scan(text)
	switch {
	case kana > 0 && kana*5 >= han && (han+kana)*3 >= latin:
		return "ja"
	case hangul*3 >= latin && hangul > 0 && hangul >= han:
		return "ko"
	case han > 0 && han*3 >= latin:
		return LangChinese
	case latin > 0 && latin >= other:
		if words < 12 || english*20 >= words {
			return LangEnglish
		}
		return "und-Latn"
	case other > 0:
		return "und-" + otherScript
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
