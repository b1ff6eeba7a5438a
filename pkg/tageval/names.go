package tageval

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Entity matching, as the reference scorer defines it (docs/tagger-eval.md):
// names are normalised (normName); a predicted and a labelled entity match
// when one of their normalised names (surface text, canonical name) is the
// same, or when the shorter, of at least 4 characters, occurs as whole words
// in the longer.

// entityTypes are the types scored; others are ignored.
var entityTypes = map[string]bool{"PERSON": true, "GOV": true, "ORG": true, "MEDIA": true}

type scoredEntity struct {
	typ, text string
	names     []string // normalised text and canonical name, without empties and duplicates
}

func newScoredEntity(typ, text, canonical string) scoredEntity {
	e := scoredEntity{typ: typ, text: text}
	for _, n := range []string{normName(text), normName(canonical)} {
		if n != "" && (len(e.names) == 0 || e.names[0] != n) {
			e.names = append(e.names, n)
		}
	}
	return e
}

// dedupEntities keeps the scored types and drops an entity that matches an
// earlier one of the same type.
func dedupEntities(es []scoredEntity) []scoredEntity {
	var out []scoredEntity
	for _, e := range es {
		if !entityTypes[e.typ] {
			continue
		}
		dup := false
		for _, o := range out {
			if o.typ == e.typ && entMatch(e, o) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, e)
		}
	}
	return out
}

// firstMatch is the first unused predicted entity matching g (of g's type
// when byType), or -1.
func firstMatch(g scoredEntity, pred []scoredEntity, used []bool, byType bool) int {
	for k, p := range pred {
		if !used[k] && (!byType || p.typ == g.typ) && entMatch(p, g) {
			return k
		}
	}
	return -1
}

func entMatch(p, g scoredEntity) bool {
	for _, a := range p.names {
		for _, b := range g.names {
			if a == b {
				return true
			}
		}
	}
	for _, a := range p.names {
		for _, b := range g.names {
			short, long := a, b
			if utf8.RuneCountInString(b) < utf8.RuneCountInString(a) {
				short, long = b, a
			}
			if utf8.RuneCountInString(short) >= 4 && containsWords(long, short) {
				return true
			}
		}
	}
	return false
}

// containsWords tells whether short occurs in long between word boundaries.
// Normalised names hold only words (letters, digits) and single spaces, so a
// boundary is a space or an end.
func containsWords(long, short string) bool {
	for i := 0; i+len(short) <= len(long); {
		k := strings.Index(long[i:], short)
		if k < 0 {
			return false
		}
		k += i
		e := k + len(short)
		if (k == 0 || long[k-1] == ' ') && (e == len(long) || long[e] == ' ') {
			return true
		}
		i = k + 1
	}
	return false
}

// normName normalises a name for matching: compatibility decomposition
// (NFKD), lower case, a possessive "'s" dropped, every run of characters
// other than a-z, 0-9, space and CJK ideographs (U+3400-U+9FFF) made one
// space, the words "the", "of" and "and" dropped, spaces collapsed.
func normName(s string) string {
	s = strings.ToLower(norm.NFKD.String(s))
	rs := []rune(s)
	var b strings.Builder
	pendingSpace := false
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		// possessive: an apostrophe and an s that ends a word
		if (r == '’' || r == '\'' || r == '`') && i+1 < len(rs) && rs[i+1] == 's' && (i+2 == len(rs) || !isWordRune(rs[i+2])) {
			i++
			continue
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == ' ' || r >= 0x3400 && r <= 0x9fff {
			if pendingSpace {
				b.WriteByte(' ')
				pendingSpace = false
			}
			b.WriteRune(r)
			continue
		}
		pendingSpace = true
	}
	if pendingSpace {
		b.WriteByte(' ')
	}
	words := strings.Fields(b.String())
	out := words[:0]
	for _, w := range words {
		// a word that is only "the", "of" or "and" (its neighbours are
		// spaces or ends, the word boundaries of the remaining characters)
		if w != "the" && w != "of" && w != "and" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// isWordRune is a regular-expression word character: a letter, a digit or
// another number, or an underscore.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}
