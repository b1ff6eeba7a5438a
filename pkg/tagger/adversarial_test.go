package tagger

import (
	"fmt"
	"math/rand"
	"strings"
	"unicode"
)

// Adversarial inputs: legal texts (anything ingest accepts, up to 1 MB)
// shaped to hit every loop of the tagger that could grow faster than the
// text. Each generator writes about n bytes; TestLinearTime compares the time
// per MB of each with ordinary news text of the same size.

type advGen struct {
	name string
	gen  func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string
}

// made-up capitalised words: not in any dictionary, all name-shaped
var advSyllables = []string{"ka", "lo", "mer", "tan", "vi", "dor", "sel", "ur", "bin", "qua", "ro", "zet", "ha", "nim", "pel"}

func advWord(r *rand.Rand, cap bool) string {
	var sb strings.Builder
	for k := 2 + r.Intn(2); k > 0; k-- {
		sb.WriteString(advSyllables[r.Intn(len(advSyllables))])
	}
	w := sb.String()
	if cap {
		w = strings.ToUpper(w[:1]) + w[1:]
	}
	return w
}

// fill calls part until the text has n bytes.
func fill(n int, part func(sb *strings.Builder)) string {
	var sb strings.Builder
	sb.Grow(n + 256)
	for sb.Len() < n {
		part(&sb)
	}
	return sb.String()
}

func lexNames(lex *lexicon) []string {
	var out []string
	for _, e := range lex.entities {
		if e.typ != "IGNORE" && e.typ != "ROLE" {
			out = append(out, e.canonical)
		}
	}
	for _, c := range lex.countries {
		out = append(out, c.name)
	}
	return out
}

func cueAnchors(lex *lexicon) []string {
	var out []string
	for p, hs := range lex.hits {
		for _, h := range hs {
			if h.kind == kCue {
				out = append(out, lex.patterns[p])
				break
			}
		}
	}
	return out
}

// newsText is ordinary news: the repository's sample articles, one after the
// other, as one long article.
func newsText(samples [][2]string, n int) string {
	i := 0
	return fill(n, func(sb *strings.Builder) {
		sb.WriteString(samples[i%len(samples)][1])
		sb.WriteString("\n\n")
		i++
	})
}

var advGens = []advGen{
	{"capitalised words, no punctuation", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		return fill(n, func(sb *strings.Builder) { sb.WriteString(advWord(r, true)); sb.WriteByte(' ') })
	}},
	{"capitalised words ending in Research", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		// every run is an organisation; "analyst X at Y Research" links short forms to full names
		return fill(n, func(sb *strings.Builder) {
			fmt.Fprintf(sb, "analyst %s %s at %s %s Research ", advWord(r, true), advWord(r, true), advWord(r, true), advWord(r, true))
		})
	}},
	{"title-case news, no punctuation", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		words := strings.FieldsFunc(newsText(news, n), func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) })
		for i, w := range words {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
		return strings.Join(words, " ")
	}},
	{"people and their firms", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		// "analyst X Y at Z W": every affiliation links a short form to the full names before it
		return fill(n, func(sb *strings.Builder) {
			fmt.Fprintf(sb, "analyst %s %s at %s %s said ", advWord(r, true), advWord(r, true), advWord(r, true), advWord(r, true))
		})
	}},
	{"endless names, no sentence breaks", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		names := lexNames(lex)
		return fill(n, func(sb *strings.Builder) { sb.WriteString(names[r.Intn(len(names))]); sb.WriteByte(' ') })
	}},
	{"news words, no sentence breaks", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		return strings.Map(func(c rune) rune {
			switch c {
			case '.', '!', '?', '\n', ';', ':', ',':
				return ' '
			}
			return c
		}, newsText(news, n))
	}},
	{"one giant word", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string { return strings.Repeat("Tariff", n/6) }},
	{"one giant abbreviation", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string { return strings.Repeat("U.", n/2) }},
	{"one giant number", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		return "1" + strings.Repeat(",5", n/2)
	}},
	{"one giant non-ASCII word", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string { return strings.Repeat("É", n/2) }},
	{"cue-dense text with states", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		cues, names := cueAnchors(lex), lexNames(lex)
		return fill(n, func(sb *strings.Builder) {
			sb.WriteString(names[r.Intn(len(names))])
			sb.WriteByte(' ')
			sb.WriteString(cues[r.Intn(len(cues))])
			sb.WriteString(" on ")
		})
	}},
	{"cue-dense sentences, every pair of states", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		return fill(n, func(sb *strings.Builder) {
			a, b := lex.countries[r.Intn(len(lex.countries))].name, lex.countries[r.Intn(len(lex.countries))].name
			fmt.Fprintf(sb, "%s raised tariffs on %s and %s agreed to talks with %s. ", a, b, b, a)
		})
	}},
	{"repeated and nested quotes", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		qs := []string{`"`, "“", "”", "‘", "'", "«"}
		return fill(n, func(sb *strings.Builder) {
			sb.WriteString(qs[r.Intn(len(qs))])
			if r.Intn(4) == 0 {
				sb.WriteString("China said tariffs ")
			}
			if r.Intn(8) == 0 {
				sb.WriteString(" he said ")
			}
		})
	}},
	{"reporting verbs and pronouns", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		return fill(n, func(sb *strings.Builder) {
			fmt.Fprintf(sb, "said %s %s he said she said Beijing retaliated according to %s ", advWord(r, true), advWord(r, true), advWord(r, true))
		})
	}},
	{"long punctuation runs", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		ps := []string{"!", ".", "?", "-", "—", "(", ")", "$", "%", ",", ";", "…", "•"}
		return fill(n, func(sb *strings.Builder) { sb.WriteString(ps[r.Intn(len(ps))]) })
	}},
	{"long whitespace runs", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		ws := []string{" ", "\n", "\t", "\r\n", "\u00a0", "\u2028"}
		return fill(n, func(sb *strings.Builder) {
			sb.WriteString(ws[r.Intn(len(ws))])
			if r.Intn(1000) == 0 {
				sb.WriteString("China tariffs")
			}
		})
	}},
	{"many states per sentence", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		return fill(n, func(sb *strings.Builder) {
			sb.WriteString(lex.countries[r.Intn(len(lex.countries))].name)
			sb.WriteString(", ")
			if r.Intn(20) == 0 {
				sb.WriteString("tariffs and the trade war, ")
			}
		})
	}},
	{"possessives and hyphens", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		return fill(n, func(sb *strings.Builder) {
			sb.WriteString([]string{"China's ", "U.S.-China ", "Xi’s ", "anti-dumping ", "a-b-c-", "'s "}[r.Intn(6)])
		})
	}},
	{"lexicon word salad, no punctuation", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		return fill(n, func(sb *strings.Builder) {
			w := lex.patterns[r.Intn(len(lex.patterns))]
			if r.Intn(2) == 0 {
				w = title(w)
			}
			sb.WriteString(w)
			sb.WriteByte(' ')
		})
	}},
	{"Chinese text", func(r *rand.Rand, lex *lexicon, news [][2]string, n int) string {
		return fill(n, func(sb *strings.Builder) {
			sb.WriteString("美国宣布对中国商品加征关税，中方表示将坚决反制。")
		})
	}},
}
