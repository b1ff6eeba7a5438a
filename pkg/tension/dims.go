package tension

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tension-dev/tension/pkg/event"
)

// The index split by who acts, who speaks and in which language
// (docs/views.md). Each dyad article is attributed to exactly one cell —
// one direction, one source type, one language — so the cells of a pair add
// up exactly to the pair's parts in every bucket, and the cells of the
// all-articles pair "*" (language only) add up to its count. Attribution
// goes to the side and the speaker carrying the most cue weight: an article
// where both sides act counts for the heavier one only.

// Source types of the split by speaker.
const (
	SourceGovernment = "government"  // cue source_type GOV: governments, ministries, officials
	SourceStateMedia = "state_media" // MEDIA the gazetteer marks as state media (tagger.IsStateMedia)
	SourceAnalyst    = "analyst"     // ANALYST: economists, strategists, research houses, banks
	SourceFirm       = "firm"        // ORG: companies and other organisations
	SourcePress      = "press"       // other MEDIA, and NEWS (the article's own narration)
	SourceOther      = "other"       // PERSON of unknown role, ANON (unnamed sources), none
)

// SourceTypes lists the source types in their tie-breaking order.
var SourceTypes = [...]string{SourceGovernment, SourceStateMedia, SourceAnalyst, SourceFirm, SourcePress, SourceOther}

// UndLang is the language of an article whose record has none (tagger
// versions before 1.1) or an unusable one.
const UndLang = "und"

// Cell is one article's place in the split dimensions: the acting side
// ("" when no side dominates: no cues, or equal weights), the source type
// and the language. The all-articles pair has only a language.
type Cell struct {
	Actor, Source, Lang string
}

// Key encodes c for the journal's key column: "actor|source|lang".
func (c Cell) Key() string { return c.Actor + "|" + c.Source + "|" + c.Lang }

// ErrCellKey is returned for a key that Key did not make.
var ErrCellKey = errors.New("tension: bad cell key")

// ParseCellKey reverses Key.
func ParseCellKey(k string) (Cell, error) {
	f := strings.Split(k, "|")
	if len(f) != 3 {
		return Cell{}, fmt.Errorf("%w %q", ErrCellKey, k)
	}
	return Cell{Actor: f[0], Source: f[1], Lang: f[2]}, nil
}

// CellPair is how an article row names a cell contribution: the pair and the
// cell key after "|". Bucket rows split it into pair and key (SplitCellPair).
func CellPair(pair string, c Cell) string { return pair + "|" + c.Key() }

// SplitCellPair splits a CellPair; key is "" for a plain pair.
func SplitCellPair(p string) (pair, key string) {
	pair, key, _ = strings.Cut(p, "|")
	return pair, key
}

// SourceClass maps a cue's speaker to a source type. isStateMedia tells
// state media from the rest of the press by the cue's Source.
func SourceClass(c event.Cue, isStateMedia func(string) bool) string {
	switch c.SourceType {
	case "GOV":
		return SourceGovernment
	case "MEDIA", "STATE":
		if c.SourceType == "STATE" || (isStateMedia != nil && isStateMedia(c.Source)) {
			return SourceStateMedia
		}
		return SourcePress
	case "NEWS":
		return SourcePress
	case "ANALYST":
		return SourceAnalyst
	case "ORG":
		return SourceFirm
	}
	return SourceOther
}

// NormLang is the language a cell records: the tagger's lang when it is a
// short tag of letters, digits and '-', else UndLang.
func NormLang(lang string) string {
	if lang == "" || len(lang) > 16 {
		return UndLang
	}
	for i := 0; i < len(lang); i++ {
		c := lang[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return UndLang
		}
	}
	return lang
}

// DyadCell attributes one dyad of an article: the actor whose cues weigh
// most (one of the pair's two codes, or "" on a tie or without cues), the
// source type whose cues weigh most (ties: the first in SourceTypes; without
// cues: other) and the article's language. Only the cues listed in the
// record are seen; the enricher keeps the heaviest ones when it cuts.
func DyadCell(d event.Dyad, lang string, isStateMedia func(string) bool) Cell {
	var sides [2]float64
	a, b, _ := strings.Cut(d.Pair, "-")
	var bySource [len(SourceTypes)]float64
	for _, c := range d.Cues {
		w := c.Weight
		if w < 0 {
			w = -w
		}
		switch c.Actor {
		case a:
			sides[0] += w
		case b:
			sides[1] += w
		}
		src := SourceClass(c, isStateMedia)
		for i, s := range SourceTypes {
			if s == src {
				bySource[i] += w
			}
		}
	}
	cell := Cell{Source: SourceOther, Lang: NormLang(lang)}
	switch {
	case sides[0] > sides[1]:
		cell.Actor = a
	case sides[1] > sides[0]:
		cell.Actor = b
	}
	best := -1
	for i, w := range bySource {
		if w > 0 && (best < 0 || w > bySource[best]) {
			best = i
		}
	}
	if best >= 0 {
		cell.Source = SourceTypes[best]
	}
	return cell
}
