// Package synth generates deterministic synthetic news articles for load and
// history tests. A Generator seeded with the same value yields the same
// sequence of articles; every article has a URL unique to its seed and
// position, so runs with different seeds never collide on article_id.
//
// The mix is roughly 60 % US–China trade stories built from templates (varied
// actors, escalation and de-escalation cues, hedges, negations, reported
// speech), 15 % trade stories about other pairs of states, and 25 % unrelated
// stories (sports, weather, local news, technology), so an index built from
// the output has both signal and a baseline.
package synth

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/event"
)

// Article is one synthetic article, shaped like the ingest input
// (schemas/article.v1.json).
type Article struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Source      string    `json:"source"`
	Title       string    `json:"title"`
	Text        string    `json:"text"`
	PublishedAt time.Time `json:"published_at"`
}

// Kind is the class of a generated article.
type Kind int

const (
	KindUSCN      Kind = iota // US–China trade story
	KindOtherDyad             // trade story about another pair of states
	KindUnrelated             // no trade or economic tension
)

func (k Kind) String() string {
	switch k {
	case KindUSCN:
		return "us-cn"
	case KindOtherDyad:
		return "other-dyad"
	default:
		return "unrelated"
	}
}

// Shares of each kind, in percent.
const (
	shareUSCN      = 60
	shareOtherDyad = 15
)

// Text length bounds, in bytes.
const (
	MinTextBytes = 600
	MaxTextBytes = 2500
)

// Generator produces articles. It is not safe for concurrent use.
type Generator struct {
	rng     *rand.Rand
	seed    uint64
	from    time.Time
	span    int64 // nanoseconds; 0 means live
	live    bool
	now     func() time.Time
	counter uint64
	sb      strings.Builder
}

// New returns a generator whose articles have publication times spread
// uniformly over [from, to). If to is not after from, every article is
// published at from.
func New(seed uint64, from, to time.Time) *Generator {
	g := &Generator{
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		seed: seed,
		from: from.UTC(),
		now:  time.Now,
	}
	if to.After(from) {
		g.span = int64(to.Sub(from))
	}
	return g
}

// NewLive returns a generator whose articles are published "now": each
// article's publication time is the wall clock when Next is called. Text and
// URLs are still deterministic for the seed.
func NewLive(seed uint64) *Generator {
	g := New(seed, time.Time{}, time.Time{})
	g.live = true
	return g
}

// Seed returns the generator's seed.
func (g *Generator) Seed() uint64 { return g.seed }

// Count returns how many articles have been generated so far.
func (g *Generator) Count() uint64 { return g.counter }

// Next returns the next article.
func (g *Generator) Next() Article {
	a, _ := g.next()
	return a
}

// NextRecord returns the next article as ingest admits it at now: decoded
// and checked by event.DecodeArticle, stamped and encoded by
// event.EncodeArticle (the raw topic's record, keyed by the article's id).
// Benchmarks of the later stages start from it.
func (g *Generator) NextRecord(now time.Time) (event.Article, event.Record, error) {
	body, err := json.Marshal(g.Next())
	if err != nil {
		return event.Article{}, event.Record{}, fmt.Errorf("synth: %w", err)
	}
	a, err := event.DecodeArticle(body, event.DecodeOptions{Now: now})
	if err != nil {
		return event.Article{}, event.Record{}, fmt.Errorf("synth: article %d: %w", g.counter, err)
	}
	rec, err := event.EncodeArticle(&a, now, 0)
	if err != nil {
		return event.Article{}, event.Record{}, fmt.Errorf("synth: article %d: %w", g.counter, err)
	}
	return a, rec, nil
}

// NextKind returns the next article and its kind.
func (g *Generator) NextKind() (Article, Kind) { return g.next() }

func (g *Generator) next() (Article, Kind) {
	g.counter++
	r := g.rng

	var ts time.Time
	switch {
	case g.live:
		ts = g.now().UTC().Truncate(time.Second)
	case g.span > 0:
		ts = g.from.Add(time.Duration(r.Int64N(g.span))).Truncate(time.Second)
		if ts.Before(g.from) { // from had sub-second precision
			ts = g.from
		}
	default:
		ts = g.from
	}

	var kind Kind
	p := r.IntN(100)
	switch {
	case p < shareUSCN:
		kind = KindUSCN
	case p < shareUSCN+shareOtherDyad:
		kind = KindOtherDyad
	default:
		kind = KindUnrelated
	}

	var title string
	g.sb.Reset()
	switch kind {
	case KindUSCN:
		title = g.usCN()
	case KindOtherDyad:
		title = g.otherDyad()
	default:
		title = g.unrelated()
	}
	text := fitText(g.sb.String(), func() string { return g.filler(kind) })

	source := pick(r, sources)
	slug := slugify(title, 60)
	id := fmt.Sprintf("synth-%016x-%d", g.seed, g.counter)
	url := fmt.Sprintf("https://%s/%04d/%02d/%02d/%s-%016x-%d", source, ts.Year(), ts.Month(), ts.Day(), slug, g.seed, g.counter)
	return Article{ID: id, URL: url, Source: source, Title: title, Text: text, PublishedAt: ts}, kind
}

// fitText pads text with filler sentences up to MinTextBytes and cuts it at
// a sentence boundary at or below MaxTextBytes.
func fitText(text string, filler func() string) string {
	for len(text) < MinTextBytes {
		text += " " + filler()
	}
	if len(text) > MaxTextBytes {
		cut := strings.LastIndex(text[:MaxTextBytes], ". ")
		if cut < MinTextBytes {
			cut = MaxTextBytes - 1
			for cut > 0 && !utf8Start(text[cut]) {
				cut--
			}
			text = text[:cut]
		} else {
			text = text[:cut+1]
		}
	}
	return text
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// sentence appends s to the text being built.
func (g *Generator) sentence(s string) {
	if g.sb.Len() > 0 {
		g.sb.WriteByte(' ')
	}
	g.sb.WriteString(s)
}

func slugify(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= max {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
