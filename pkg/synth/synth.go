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
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/jsonwire"
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
	g.sb.Grow(MinTextBytes + 400) // most texts fit: growing from empty copied each one ~5 times
	switch kind {
	case KindUSCN:
		title = g.usCN()
	case KindOtherDyad:
		title = g.otherDyad()
	default:
		title = g.unrelated()
	}
	for g.sb.Len() < MinTextBytes { // padded in the builder: adding to a string copied the text each time
		g.sb.WriteByte(' ')
		g.sb.WriteString(g.filler(kind))
	}
	text := cutText(g.sb.String())

	source := pick(r, sources)
	slug := slugify(title, 60)
	var num [40]byte // "<seed, 16 hex digits>-<counter>", in the id and the URL
	seedCounter := appendHex16(num[:0], g.seed)
	seedCounter = strconv.AppendUint(append(seedCounter, '-'), g.counter, 10)
	id := "synth-" + string(seedCounter)
	url := make([]byte, 0, len("https:///2006/01/02/-")+len(source)+len(slug)+len(seedCounter)+4)
	url = append(append(append(url, "https://"...), source...), '/')
	url = appendDate(url, ts)
	url = append(append(append(append(url, '/'), slug...), '-'), seedCounter...)
	return Article{ID: id, URL: string(url), Source: source, Title: title, Text: text, PublishedAt: ts}, kind
}

// appendHex16 appends v as 16 lower-case hex digits (fmt's %016x).
func appendHex16(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[v>>uint(shift)&0xf])
	}
	return b
}

// appendDate appends "YYYY/MM/DD" of t (fmt's %04d/%02d/%02d of its year,
// month and day; a generator's years are 0 to 9999).
func appendDate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return fmt.Appendf(b, "%04d/%02d/%02d", y, m, d)
	}
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '/')
	return append(b, byte('0'+m/10), byte('0'+m%10), '/', byte('0'+d/10), byte('0'+d%10))
}

// cutText cuts a text padded to MinTextBytes at a sentence boundary at or
// below MaxTextBytes.
func cutText(text string) string {
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

// say appends the sentence made of parts to the text being built: the
// trade stories' sentences are written as parts rather than with fmt
// (Sprintf was ~15 % of loadgen's CPU).
func (g *Generator) say(parts ...string) {
	if g.sb.Len() > 0 {
		g.sb.WriteByte(' ')
	}
	for _, p := range parts {
		g.sb.WriteString(p)
	}
}

// slugify is the title in lower-case letters and digits, the runs of
// anything else one "-", at most about max bytes.
func slugify(s string, max int) string {
	b := make([]byte, 0, min(len(s), max+4))
	dash := false
	for _, c := range s { // unicode.ToLower per rune is strings.ToLower's
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		} else if c >= utf8.RuneSelf {
			c = unicode.ToLower(c)
		}
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, byte(c))
			dash = false
		default:
			if !dash && len(b) > 0 {
				b = append(b, '-')
				dash = true
			}
		}
		if len(b) >= max {
			break
		}
	}
	return strings.Trim(string(b), "-")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// AppendJSON appends the article as encoding/json's Encoder writes it with
// HTML escaping off (without its newline): loadgen encodes every article it
// sends, and encoding/json's reflection was ~10 % of its CPU time
// (TestAppendJSONIsEncoder). A publication time encoding/json refuses
// (a year past 9999) is its error.
func (a *Article) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = jsonwire.AppendString(b, a.ID, false)
	b = append(b, `,"url":`...)
	b = jsonwire.AppendString(b, a.URL, false)
	b = append(b, `,"source":`...)
	b = jsonwire.AppendString(b, a.Source, false)
	b = append(b, `,"title":`...)
	b = jsonwire.AppendString(b, a.Title, false)
	b = append(b, `,"text":`...)
	b = jsonwire.AppendString(b, a.Text, false)
	b = append(b, `,"published_at":`...)
	b, err := jsonwire.AppendTime(b, a.PublishedAt)
	if err != nil {
		return b, fmt.Errorf("synth: article %s: %w", a.ID, err)
	}
	return append(b, '}'), nil
}
