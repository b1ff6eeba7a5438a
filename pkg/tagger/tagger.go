// Package tagger finds the states, people, government bodies, organisations and
// outlets in a news article, the stance cues between states (who did what to
// whom, how firmly, said by whom), and scores each pair of states for trade
// tension in [-1, 1] (DESIGN §3-§4).
//
// It is dictionary- and rule-driven: every list (countries, gazetteer, cues,
// function words, topics) is a reviewable data file under data/, embedded and
// validated once by New. All dictionaries are compiled into one Aho-Corasick
// automaton over words and matched in one pass over the normalised tokens
// (lower case, quotes and dashes unified, "U.S." read as "us", possessive "'s"
// split off); the longest match wins and offsets map back exactly to the
// original text.
//
// Output conventions beyond event.Tags' own documentation:
//   - Entities and cues found in the text carry byte offsets into the text. The
//     title, when given and not repeated at the start of the text, is tagged
//     too: its cues have Sentence -1 and offsets into the title; its entities
//     are not listed (they would have no offsets into the text).
//   - Cue.SourceType is one of GOV (a government, ministry, official, or a
//     capital standing for one), MEDIA (an outlet or platform; state media are
//     MEDIA and always hedged), ANALYST (economists, strategists, researchers,
//     banks and research houses), ORG (firms and other organisations), PERSON
//     (someone whose role is unknown), ANON (unnamed sources) and NEWS (the
//     article's own narration: no attribution found).
//   - Cue.Actor and Cue.Target are ISO codes (or EU); when the sentence names
//     only one side, the other is the article's main counterpart.
package tagger

import (
	"math"
	"sync"

	"github.com/tension-dev/tension/pkg/event"
)

// Version is stamped on every enriched article; bump it whenever the output
// for some input can change (code or data).
const Version = "tagger-1.0.0"

// Tagger is immutable after New and safe for concurrent use.
type Tagger struct {
	lex  *lexicon
	pool sync.Pool
}

// New loads and validates the embedded data. An error names the file and
// line of the first bad entry.
func New() (*Tagger, error) {
	lex, err := loadLexicon()
	if err != nil {
		return nil, err
	}
	t := &Tagger{lex: lex}
	t.pool.New = func() any { return &doc{lex: lex} }
	return t, nil
}

// Tag tags one article. title may be empty. It never panics on any input.
func (t *Tagger) Tag(title, text string) event.Tags {
	d := t.pool.Get().(*doc)
	d.reset(title, text)
	tags := d.run()
	d.title, d.text = "", ""
	t.pool.Put(d)
	return tags
}

// squash maps a signed sum of cue weights to (-1, 1) (DESIGN §4).
func squash(x float64) float64 {
	if x == 0 || math.IsNaN(x) {
		return 0
	}
	v := x / math.Sqrt(x*x+alpha)
	if v > 1 {
		v = 1
	} else if v < -1 {
		v = -1
	}
	return math.Round(v*1000) / 1000
}
