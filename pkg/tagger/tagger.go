// Package tagger finds the states, people, government bodies, organisations and
// outlets in a news article, the stance cues between states (who did what to
// whom, how firmly, said by whom), and scores each pair of states for trade
// tension in [-1, 1] (docs/design.md §3-§4).
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
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/tension-dev/tension/pkg/event"
)

// Version is stamped on every enriched article; bump it whenever the output
// for some input can change (code or data).
const Version = "tagger-1.2.0"

// ErrWorkBudget is returned (wrapped) by TagContext for an article that
// needs more work than the budget for its size allows. The tagger's work is
// linear in the text on any input (see linear_test.go), so this is a
// backstop: an article that hits it is a permanent failure, for a dead-letter
// queue, never for a retry.
var ErrWorkBudget = errors.New("tagger: article exceeds the work budget")

// DefaultWorkPerByte is the default work budget per byte of title and text.
// The most work-dense texts found (adversarial_test.go) need less than a
// quarter of it (TestWorkBudgetHolds), ordinary news a tenth.
const DefaultWorkPerByte = 16

// minWork is the budget every article has whatever its size.
const minWork = 1 << 16

// Options configure a Tagger.
type Options struct {
	// WorkPerByte bounds the work of tagging one article: this many units
	// per byte of title and text (plus a small fixed allowance). Units count
	// tokens, dictionary matches, cues and the windows the rules look at.
	// 0 means DefaultWorkPerByte.
	WorkPerByte int
}

// Tagger is immutable after New and safe for concurrent use.
type Tagger struct {
	lex         *lexicon
	pool        sync.Pool
	workPerByte int64
	zh          *zhLexicon
	zhPool      sync.Pool
}

// New loads and validates the embedded data. An error names the file and
// line of the first bad entry.
func New() (*Tagger, error) { return NewWithOptions(Options{}) }

// NewWithOptions is New with options.
func NewWithOptions(o Options) (*Tagger, error) {
	if o.WorkPerByte < 0 {
		return nil, fmt.Errorf("tagger: WorkPerByte %d < 0", o.WorkPerByte)
	}
	if o.WorkPerByte == 0 {
		o.WorkPerByte = DefaultWorkPerByte
	}
	lex, err := loadLexicon()
	if err != nil {
		return nil, err
	}
	zh, err := loadZH(lex)
	if err != nil {
		return nil, err
	}
	t := &Tagger{lex: lex, workPerByte: int64(o.WorkPerByte), zh: zh}
	t.pool.New = func() any { return &doc{lex: lex} }
	t.zhPool.New = func() any { return &zhDoc{doc: doc{lex: zh.lex}, z: zh} }
	return t, nil
}

// Tag tags one article in the language its script shows (TagLang with no
// language tag). title may be empty. It never panics on any input.
// An article over the work budget (see TagContext) gets empty tags; callers
// that must tell it apart use TagContext.
func (t *Tagger) Tag(title, text string) event.Tags {
	tags, _ := t.TagContext(context.Background(), title, text)
	return tags
}

// TagContext tags one article like Tag, and stops early with empty tags and
// an error when ctx is done (the error wraps ctx.Err()) or when the article
// needs more work than its budget (the error wraps ErrWorkBudget).
func (t *Tagger) TagContext(ctx context.Context, title, text string) (event.Tags, error) {
	return t.TagLangContext(ctx, title, text, "")
}

// budget is the work an article of this title and text may take.
func (t *Tagger) budget(title, text string) int64 {
	return minWork + t.workPerByte*int64(len(title)+len(text))
}

// tagEN tags an English article (TagLangContext routes here).
func (t *Tagger) tagEN(ctx context.Context, title, text string) (event.Tags, error) {
	d := t.pool.Get().(*doc)
	tags, err := t.runDoc(ctx, title, text, d, d.run)
	t.pool.Put(d)
	return tags, err
}

// runDoc runs an analyser (run) on one article with the document state d,
// the work budget and the context: empty tags and the error when either
// stops it.
func (t *Tagger) runDoc(ctx context.Context, title, text string, d *doc, run func() event.Tags) (event.Tags, error) {
	d.reset(title, text)
	d.ctx = ctx
	d.work, d.budget, d.err = 0, t.budget(title, text), nil
	tags := run()
	err := d.err
	if err != nil {
		tags = event.Tags{}
	}
	d.title, d.text, d.ctx, d.err = "", "", nil, nil
	return tags, err
}

// squash maps a signed sum of cue weights to (-1, 1) (docs/design.md §4).
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
