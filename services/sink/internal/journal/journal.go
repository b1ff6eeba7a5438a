// Package journal turns a batch of enriched articles into the rows of the
// index journal (schemas/migrations/0002): bucket deltas, the articles'
// contributions and the offset ledger, all meant to be written as one
// block. It is pure: what is already counted comes in as Prior, and the
// rows come out; the store writes them.
package journal

import (
	"sort"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
)

// Row kinds and the current view's tagger version.
const (
	KindBucket  = "bucket"
	KindOffset  = "offset"
	KindArticle = "article"

	// CurrentView is the tagger_version of rows that count each article once,
	// under the highest tagger version that enriched it (event.TaggerPrecedence).
	CurrentView = ""

	granularityNone = "none"
)

// Row is one row of index_journal.
type Row struct {
	Kind          string
	Key           string
	Granularity   string
	Pair          string
	TaggerVersion string
	Bucket        time.Time
	SrcPartition  int32
	Position      int64
	Entries       int64
	tension.Parts
}

// Contribution is what one article adds to one pair ("*" for all articles)
// in one minute bucket.
type Contribution struct {
	Pair   string
	Bucket time.Time // minute bucket of the article's event time
	tension.Parts
}

// Prior is what the journal already holds for one article.
type Prior struct {
	// Versions the article has been counted under.
	Versions map[string]bool
	// Current is the article's net contribution to the current view.
	Current []Contribution
}

// Contributions returns what an article adds to the index: one count in the
// "*" pair and its dyads' parts, in the minute bucket of its event time.
func Contributions(e *event.Enriched) []Contribution {
	ts := e.EventTime()
	bucket := tension.Minute.Truncate(ts)
	out := make([]Contribution, 0, 1+len(e.Dyads))
	out = append(out, Contribution{Pair: tension.AllPair, Bucket: bucket, Parts: tension.Parts{Articles: 1}})
	for _, d := range e.Dyads {
		out = append(out, Contribution{Pair: d.Pair, Bucket: bucket, Parts: tension.DyadContribution(d)})
	}
	return out
}

// Builder accumulates one batch's journal rows, summing bucket deltas with
// the same key so a batch writes one row per touched bucket.
type Builder struct {
	buckets  map[bucketKey]*tension.Parts
	articles []Row
	offsets  []Row
}

type bucketKey struct {
	granularity tension.Granularity
	pair        string
	version     string
	bucket      int64
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{buckets: map[bucketKey]*tension.Parts{}}
}

// Outcome says what Add did with an article.
type Outcome int

const (
	// Counted: a new article, counted in the current view and its version's.
	Counted Outcome = iota
	// Recounted: counted before under lower tagger versions; the current
	// view moves to this version, the old versions' own views are kept.
	Recounted
	// Duplicate: already counted under this tagger version; nothing changes.
	Duplicate
	// Older: a tagger version below one the article is already counted
	// under (a late replay, a reprocess with an old tagger): counted in its
	// own version's view only; the current view keeps the higher version.
	Older
	// Tied: another tagger version with the same numbers as one the article
	// is counted under: which is current would be ambiguous, so nothing is
	// counted (the sink dead-letters the message, see Prior.TiedWith).
	Tied
)

// Add adds one article. prior is nil for an article never counted. The
// current view follows the tagger-version precedence of pkg/event (the
// highest version is current, event.CompareTaggerVersions), the rule the
// raw tables and rebuild share, so the order in which versions arrive does
// not matter.
func (b *Builder) Add(e *event.Enriched, prior *Prior) Outcome {
	outcome := prior.outcome(e.TaggerVersion)
	switch outcome {
	case Duplicate, Tied:
		return outcome
	case Recounted:
		for _, c := range prior.Current {
			neg := Contribution{Pair: c.Pair, Bucket: c.Bucket, Parts: c.Parts.Neg()}
			b.addBuckets(neg, CurrentView)
			b.addArticle(e.ArticleID, neg, CurrentView)
		}
	}
	for _, c := range Contributions(e) {
		if outcome != Older {
			b.addBuckets(c, CurrentView)
			b.addArticle(e.ArticleID, c, CurrentView)
		}
		b.addBuckets(c, e.TaggerVersion)
		b.addArticle(e.ArticleID, c, e.TaggerVersion)
	}
	return outcome
}

// outcome says what counting version v of an article with prior p does.
func (p *Prior) outcome(v string) Outcome {
	if p == nil || len(p.Versions) == 0 {
		return Counted
	}
	if p.Versions[v] {
		return Duplicate
	}
	if p.TiedWith(v) != "" {
		return Tied
	}
	for w := range p.Versions {
		if event.CompareTaggerVersions(v, w) < 0 {
			return Older
		}
	}
	return Recounted
}

// TiedWith returns a version the article is counted under that has the
// same precedence as v but another name, or "".
func (p *Prior) TiedWith(v string) string {
	if p == nil {
		return ""
	}
	var tied []string
	for w := range p.Versions {
		if w != v && event.CompareTaggerVersions(v, w) == 0 {
			tied = append(tied, w)
		}
	}
	if len(tied) == 0 {
		return ""
	}
	sort.Strings(tied)
	return tied[0]
}

// After is the prior of the article once e was added with outcome o: what
// later messages of the same batch see.
func (p *Prior) After(e *event.Enriched, o Outcome) *Prior {
	switch o {
	case Duplicate, Tied:
		return p
	}
	next := &Prior{Versions: map[string]bool{e.TaggerVersion: true}}
	if p != nil {
		for v := range p.Versions {
			next.Versions[v] = true
		}
		next.Current = p.Current
	}
	if o != Older {
		next.Current = Contributions(e)
	}
	return next
}

func (b *Builder) addBuckets(c Contribution, version string) {
	for _, g := range tension.Granularities {
		k := bucketKey{g, c.Pair, version, g.Truncate(c.Bucket).Unix()}
		p := b.buckets[k]
		if p == nil {
			p = &tension.Parts{}
			b.buckets[k] = p
		}
		p.Add(c.Parts)
	}
}

func (b *Builder) addArticle(id string, c Contribution, version string) {
	b.articles = append(b.articles, Row{
		Kind: KindArticle, Key: id, Granularity: granularityNone, Pair: c.Pair,
		TaggerVersion: version, Bucket: c.Bucket, Entries: 1, Parts: c.Parts,
	})
}

// Advance records that the batch moves partition of topic from position
// `from` (the next offset the ledger had) to `to` (one past the last offset
// in the batch). Positions are stored as deltas so the ledger sums to the
// next offset to read.
func (b *Builder) Advance(topic string, partition int32, from, to int64) {
	if to <= from {
		return
	}
	b.offsets = append(b.offsets, Row{
		Kind: KindOffset, Key: topic, Granularity: granularityNone,
		SrcPartition: partition, Position: to - from, Entries: 1,
	})
}

// Rows returns every row in a deterministic order: buckets, articles, offsets.
func (b *Builder) Rows() []Row {
	keys := make([]bucketKey, 0, len(b.buckets))
	for k := range b.buckets {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, c := keys[i], keys[j]
		if a.granularity != c.granularity {
			return a.granularity < c.granularity
		}
		if a.pair != c.pair {
			return a.pair < c.pair
		}
		if a.version != c.version {
			return a.version < c.version
		}
		return a.bucket < c.bucket
	})
	rows := make([]Row, 0, len(keys)+len(b.articles)+len(b.offsets))
	for _, k := range keys {
		rows = append(rows, Row{
			Kind: KindBucket, Granularity: string(k.granularity), Pair: k.pair,
			TaggerVersion: k.version, Bucket: time.Unix(k.bucket, 0).UTC(), Entries: 1, Parts: *b.buckets[k],
		})
	}
	rows = append(rows, b.articles...)
	return append(rows, b.offsets...)
}

// Empty reports whether the batch would write nothing.
func (b *Builder) Empty() bool {
	return len(b.buckets) == 0 && len(b.articles) == 0 && len(b.offsets) == 0
}
