// Package journal turns a batch of enriched articles into the rows of the
// index journal (schemas/migrations/0002): bucket deltas, the articles'
// contributions and the offset ledger, all meant to be written as one
// block. It is pure: what is already counted comes in as Prior, and the
// rows come out; the store writes them.
package journal

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/pkg/tension"
)

// Row kinds and the current view's tagger version.
const (
	KindBucket  = "bucket"
	KindArticle = "article"
	// KindRange rows are the offset ledger: one per block and source
	// partition, the offsets [SrcOffset, Position) the block consumed.
	KindRange = "range"
	// KindOffset rows are the ledger of journals written before blocks had
	// ids (migration 0006): deltas whose sum is a partition's next offset.
	// Read as one range from 0; never written any more.
	KindOffset = "offset"
	// KindCell rows are bucket rows of the index split by acting side,
	// source type and language (migration 0008): Key holds the cell.
	KindCell = "cell"

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
	SrcOffset     int64 // range rows: first offset of the range
	Position      int64 // range rows: one past the last offset
	Entries       int64
	Block         string // article and range rows: the block that wrote them
	// InCurrent marks an article, bucket or cell row that counts in the
	// current view as well as in TaggerVersion's own (article rows since
	// migration 0013, bucket and cell rows since 0014): an article counted
	// under the version that is its current one adds the same row to both
	// views, so it is written once (the journal's rows per article nearly
	// halved, and its bucket rows on a backfill). Readers expand it into
	// the two (Views, and the store's and the query service's SQL).
	InCurrent bool
	// Cell is an article row's cell key (tension.Cell.Key) when the row
	// counts in that cell of the split as well as in its pair (migration
	// 0015): "" for markers and for every row written before, whose cell
	// contributions are rows of their own (pair "<pair>|<cell>"). Readers
	// expand it into the two contributions it stands for (Contribution).
	Cell string
	// Marker is the marker pair (VersionMarker) an article row of pair "*"
	// stands for as well (migration 0016): "" for every other row and for
	// rows written before, whose markers are rows of their own. A marker
	// and its article's "*" row always carry the same count, so one row
	// holds both.
	Marker string
	tension.Parts
}

// OwnRows returns the rows an article row stands for, as journals before
// migrations 0015 and 0016 held them: itself without its cell and marker,
// a row of its cell's pair ("<pair>|<cell>", tension.CellPair) when it has
// a cell, and a row of its marker's pair when it has a marker. Readers take
// a row as these; the tests of both forms write the old one with it.
func (r Row) OwnRows() []Row {
	plain := r
	plain.Cell, plain.Marker = "", ""
	out := []Row{plain}
	if r.Cell != "" {
		cell := plain
		cell.Pair = r.Pair + "|" + r.Cell
		out = append(out, cell)
	}
	if r.Marker != "" {
		marker := plain
		marker.Pair = r.Marker
		out = append(out, marker)
	}
	return out
}

// MarkerVersion returns the version of the marker the row is or stands
// for, and whether it names one.
func (r *Row) MarkerVersion() (string, bool) { return markerOf(r.Pair, r.Marker) }

// markerOf is the version of the marker a row or contribution of pair and
// marker names: its own pair when it is a marker row, else its Marker.
func markerOf(pair, marker string) (string, bool) {
	if marker != "" {
		return MarkerVersion(marker)
	}
	return MarkerVersion(pair)
}

// Views returns the views a row counts in: its tagger version's, and the
// current view's when InCurrent.
func (r *Row) Views() []string {
	views, n := ViewsOf(r.TaggerVersion, r.InCurrent)
	return views[:n:n]
}

// ViewsOf is Row.Views of a row of version, in the current view too when
// inCurrent: the first n of views. An array, so that a reader scanning
// rows (the sink's bucket-state read) allocates nothing per row.
func ViewsOf(version string, inCurrent bool) (views [2]string, n int) {
	if inCurrent {
		return [2]string{version, CurrentView}, 2
	}
	return [2]string{version}, 1
}

// viewForm is the view(s) a delta goes to: a version's own, and the
// current view's too when inCurrent (as Row.InCurrent). The builder sums
// bucket, cell and rollup deltas per form, so a delta both views take is
// one row.
type viewForm struct {
	version   string
	inCurrent bool
}

// form is the row's viewForm.
func (r *Row) form() viewForm { return viewForm{r.TaggerVersion, r.InCurrent} }

// Contribution is what one article adds to one pair ("*" for all articles)
// in one minute bucket, and to one cell of the pair's split when Cell is
// set: an article row with a cell stands for both (migration 0015), so the
// journal keeps one row where it kept two.
type Contribution struct {
	Pair   string
	Bucket time.Time // minute bucket of the article's event time
	// Cell is the cell key (tension.Cell.Key) of the split's cell the
	// contribution counts in too; "" for none (a marker, or a cell
	// contribution of a row written before migration 0015, whose Pair
	// is "<pair>|<cell>").
	Cell string
	// Marker is the version's marker pair (VersionMarker) the contribution
	// to "*" stands for as well (Row.Marker); "" for none.
	Marker string
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
// "*" pair and its dyads' parts, in the minute bucket of its event time, each
// in one cell of the split as well (Contribution.Cell, tension.Cell): the
// article's language cell of "*" and one cell per dyad. The version's marker
// (VersionMarker), which the "*" contribution carries (Contribution.Marker),
// says that the view's rollups hold its tags.
func Contributions(e *event.Enriched) []Contribution {
	ts := e.EventTime()
	bucket := tension.Minute.Truncate(ts)
	lang := tension.NormLang(e.Lang)
	out := make([]Contribution, 0, 1+len(e.Dyads))
	out = append(out, Contribution{Pair: tension.AllPair, Bucket: bucket, Cell: tension.Cell{Lang: lang}.Key(),
		Marker: VersionMarker(e.TaggerVersion), Parts: tension.Parts{Articles: 1}})
	for _, d := range e.Dyads {
		cell := tension.DyadCell(d, lang, tagger.IsStateMedia)
		out = append(out, Contribution{Pair: d.Pair, Bucket: bucket, Cell: cell.Key(), Parts: tension.DyadContribution(d)})
	}
	return out
}

// Builder accumulates one batch's journal rows, summing bucket deltas with
// the same key so a batch writes one row per touched bucket.
type Builder struct {
	buckets minuteSums
	// articles holds the article rows in the order they were added, each
	// article's rows side by side (groups): Rows sorts them and sums rows
	// with the same key, cheaper than a map keyed by four fields per row.
	articles []articleEntry
	groups   []articleGroup
	ranges   []Row
	rollups  rollups
	// tags of the versions counted in this batch, for a later message of
	// the batch that takes one out of the current view again.
	tags map[VersionRef]*Tags
	// pending: versions counted by earlier blocks that this batch takes
	// out of the current view; their tags are in the raw tables (Retract).
	pending []VersionAt
	// pendingTo: the version that replaces each pending one, and its time.
	pendingTo []VersionAt
	pointOnly []bool // a version counted before migration 0010: in no rollup
	pointers  map[Pointer]bool
}

// Pointer is a row of article_versions that the sink writes beside the raw
// rows (migration 0010): at the time of an article's version that is not
// current (At, to the second), the current version. The ranked lists read
// the partial days at a range's edges raw and take an article's current
// version as the argMax of its article_versions rows in the range: with a
// pointer there, a range that holds an old version's rows but not the
// current version's keeps none of them, as the rollups (and the index) do.
type Pointer struct {
	ID      string
	At      time.Time
	Version string
}

// articleGroup is the run of article rows that one Add wrote, all of one
// article. Rows sums the rows of a block with the same key, so a block
// holds each key once and a compensation can negate it exactly.
type articleGroup struct {
	id       string
	from, to int
}

// articleEntry is one contribution to an article row (the article is its
// group's).
type articleEntry struct {
	pair, version string
	bucket        time.Time
	parts         tension.Parts
	inCurrent     bool   // in the current view too (Row.InCurrent)
	cell, marker  string // Row.Cell, Row.Marker
}

// minuteScope is the pair, the cell (a contribution's Cell, or still in the
// pair as "<pair>|<cell>" when read from a row written before migration
// 0015; "" for the pair's own sums) and the view of minute sums: a tagger
// version's, and the current view's too when inCurrent (Row.InCurrent). A
// batch has a few hundred; its minute keys hold the scope's index, so that
// summing a contribution hashes the strings in a small map and a pair of
// numbers in the large one, and Rows sorts the minutes by numbers, not
// strings (sorting by strings was a third of Rows on two years of articles).
type minuteScope struct {
	pair, cell string
	viewForm
}

// minuteKey is a bucket row's key in the minute granularity: a batch sums
// its contributions per minute key and rolls them up into every
// granularity once, in Rows.
type minuteKey struct {
	scope  int32 // number in minuteSums.scopes
	minute int64 // unix seconds
}

// minuteSums are a block's bucket deltas per minute key. The sums are held
// in a slice in the order their keys came, not behind a pointer each: a
// block has up to seven per article, and allocating them was 8% of the
// builder's allocations.
type minuteSums struct {
	scopes numbering[minuteScope]
	keys   []minuteKey
	sums   []tension.Parts     // the sum of keys[i]
	index  map[minuteKey]int32 // index in keys and sums
}

func newMinuteSums() minuteSums {
	return minuteSums{scopes: newNumbering[minuteScope](), index: map[minuteKey]int32{}}
}

// grow makes room for n more minute keys.
func (m *minuteSums) grow(n int) {
	if len(m.keys) == 0 {
		m.index = make(map[minuteKey]int32, n)
	}
	m.keys = slices.Grow(m.keys, n)
	m.sums = slices.Grow(m.sums, n)
}

// len is the number of minute keys summed.
func (m *minuteSums) len() int { return len(m.keys) }

// scope returns the number of (pair, cell, form).
func (m *minuteSums) scope(pair, cell string, f viewForm) int32 {
	return m.scopes.of(minuteScope{pair, cell, f})
}

// bucketScope is the pair, cell ("" for a bucket row, the cell key for a
// cell row) and view of bucket rows.
type bucketScope struct {
	pair, cell, version string
	inCurrent           bool
}

type bucketKey struct {
	granularity tension.Granularity
	pair        string
	cell        string // "" for a bucket row, the cell key for a cell row
	version     string
	inCurrent   bool
	bucket      int64
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{buckets: newMinuteSums(), rollups: newRollups(),
		tags: map[VersionRef]*Tags{}, pointers: map[Pointer]bool{}}
}

// entriesPerArticle is how many article rows a typical article adds: "*"
// and one dyad, each one row for both views (Row.InCurrent, migration
// 0013), for its cell too (Row.Cell, migration 0015) and "*" for the
// version's marker (Row.Marker, migration 0016; 1.75 per article on the
// synthetic benchmark batch).
const entriesPerArticle = 2

// minutesPerArticle and rollupsPerArticle are the minute sums and rollup
// keys an article adds when no other article of the batch shares its
// minute or day (a backfill spread over years: 3.5 and 7.9 on the synthetic
// batch since a delta both views take is one key, 7 and 16 before; a day
// of news shares most of them; BenchmarkBuilderBatch reports both). Grow
// makes room for as many: the maps and slices of a backfill's batch would
// otherwise be regrown (and rehashed) a dozen times as it is counted, an
// eighth of its time; a day's batch leaves the room unused (half the 1.7
// kB per article it was at 8 and 16: a day's batch of 10,000 allocates
// 54.5 MB in all instead of 68.2).
const (
	minutesPerArticle = 4
	rollupsPerArticle = 8
)

// Grow makes room for a batch of n articles, so that the article rows,
// the tags kept per version, the minute sums and the rollups are not
// regrown from empty as the batch is counted (growing them took a quarter
// of the builder's time and most of its allocated bytes).
func (b *Builder) Grow(n int) {
	b.articles = slices.Grow(b.articles, n*entriesPerArticle)
	b.groups = slices.Grow(b.groups, n)
	b.buckets.grow(n * minutesPerArticle)
	b.rollups.grow(n * rollupsPerArticle)
	if len(b.tags) == 0 {
		b.tags = make(map[VersionRef]*Tags, n)
	}
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
	return b.add(e, Contributions(e), prior)
}

// Count adds one article of a batch whose priors the caller keeps: it is
// Add with priors[e.ArticleID], after which priors holds what later
// messages of the batch must see (Prior.After). The article's
// contributions are computed once for both. It returns the outcome and the
// prior the article had before.
func (b *Builder) Count(e *event.Enriched, priors map[string]*Prior) (Outcome, *Prior) {
	prior := priors[e.ArticleID]
	contribs := Contributions(e)
	o := b.add(e, contribs, prior)
	priors[e.ArticleID] = prior.after(e, contribs, o)
	return o, prior
}

func (b *Builder) add(e *event.Enriched, contribs []Contribution, prior *Prior) Outcome {
	outcome := prior.outcome(e.TaggerVersion)
	switch outcome {
	case Duplicate, Tied:
		return outcome
	}
	from := len(b.articles) // this article's rows start here (articleGroup)
	switch outcome {
	case Recounted:
		markers, at := map[string]int64{}, map[string]time.Time{}
		for _, c := range prior.Current {
			neg := Contribution{Pair: c.Pair, Bucket: c.Bucket, Cell: c.Cell, Marker: c.Marker, Parts: c.Parts.Neg()}
			b.addContribution(neg, viewForm{CurrentView, false})
			if v, ok := markerOf(c.Pair, c.Marker); ok {
				markers[v] += c.Articles
				at[v] = c.Bucket
			}
		}
		to := VersionAt{VersionRef{e.ArticleID, e.TaggerVersion}, e.EventTime().Truncate(time.Second)}
		for _, v := range sortedKeys(markers) {
			b.retract(VersionAt{VersionRef{e.ArticleID, v}, at[v]}, markers[v], to)
		}
		if len(markers) == 0 {
			// Counted before the rollups existed (no marker): its tags are
			// in no rollup, so nothing is taken out, but its time still
			// needs a pointer (its "*" row's minute bounds the raw read).
			for _, c := range prior.Current {
				if c.Pair == tension.AllPair {
					b.pending = append(b.pending, VersionAt{VersionRef{e.ArticleID, prior.highest()}, c.Bucket})
					b.pendingTo = append(b.pendingTo, to)
					b.pointOnly = append(b.pointOnly, true)
					break
				}
			}
		}
	case Older:
		if current := prior.highest(); current != "" {
			b.point(TagsOf(e), VersionAt{VersionRef{e.ArticleID, current}, time.Time{}})
		}
	}
	tags := TagsOf(e)
	b.tags[VersionRef{e.ArticleID, e.TaggerVersion}] = tags
	form := viewForm{e.TaggerVersion, outcome != Older}
	b.rollups.addTags(tags, 1, form)
	for _, c := range contribs {
		b.addContribution(c, form)
	}
	if len(b.articles) > from {
		b.groups = append(b.groups, articleGroup{e.ArticleID, from, len(b.articles)})
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
	return p.after(e, Contributions(e), o)
}

func (p *Prior) after(e *event.Enriched, contribs []Contribution, o Outcome) *Prior {
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
		next.Current = contribs
	}
	return next
}

// retract takes n times an earlier version's tags out of the current view
// (n is the marker's count, 1): from this batch's tags when this batch
// counted it, else later from the raw tables (Pending, Retract).
func (b *Builder) retract(ref VersionAt, n int64, to VersionAt) {
	if n <= 0 {
		return
	}
	if t, ok := b.tags[ref.VersionRef]; ok {
		b.rollups.addTags(t, -n, viewForm{CurrentView, false})
		b.point(t, to)
		return
	}
	for range n {
		b.pending = append(b.pending, ref)
		b.pendingTo = append(b.pendingTo, to)
		b.pointOnly = append(b.pointOnly, false)
	}
}

// point records a pointer at the time of a version with tags t to the
// version that replaces it (at to.At: none is needed at the same time).
// A version without tags has no raw rows a list could read.
func (b *Builder) point(t *Tags, to VersionAt) {
	if t == nil || (len(t.Entities) == 0 && len(t.Cues) == 0 && len(t.Pairs) == 0) || t.At.Equal(to.At) {
		return
	}
	b.pointers[Pointer{ID: to.ID, At: t.At, Version: to.Version}] = true
}

// Pointers returns the article_versions rows the batch must write with its
// raw rows (see Pointer), sorted.
func (b *Builder) Pointers() []Pointer {
	out := make([]Pointer, 0, len(b.pointers))
	for p := range b.pointers {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.ID != c.ID {
			return a.ID < c.ID
		}
		if !a.At.Equal(c.At) {
			return a.At.Before(c.At)
		}
		return a.Version < c.Version
	})
	return out
}

// highest returns the highest tagger version the article is counted
// under: the current one.
func (p *Prior) highest() string {
	var out string
	for v := range p.Versions {
		if out == "" || event.CompareTaggerVersions(v, out) > 0 || (event.CompareTaggerVersions(v, out) == 0 && v < out) {
			out = v
		}
	}
	return out
}

// Pending returns the article versions counted by earlier blocks that the
// batch takes out of the current view: their tags must be read from the raw
// tables and given to Retract before Rows.
func (b *Builder) Pending() []VersionAt { return b.pending }

// Retract takes the pending versions' tags out of the current view's
// rollups; a version absent from tags has none (no entity, no cue).
func (b *Builder) Retract(tags map[VersionRef]*Tags) {
	for i, ref := range b.pending {
		t := tags[ref.VersionRef]
		if !b.pointOnly[i] {
			b.rollups.addTags(t, -1, viewForm{CurrentView, false})
		}
		b.point(t, b.pendingTo[i])
	}
	b.pending, b.pendingTo, b.pointOnly = nil, nil, nil
}

// add adds a contribution (in its minute bucket) to the sums of form: one
// row for both views when form.inCurrent (migration 0014), as its article
// row; to its pair's sums and, when it has a Cell, to the cell's
// (migration 0015).
func (m *minuteSums) add(c Contribution, form viewForm) {
	if _, ok := MarkerVersion(c.Pair); ok {
		return // markers have no bucket rows
	}
	minute := tension.Minute.Truncate(c.Bucket).Unix()
	m.addMinute(minuteKey{m.scope(c.Pair, "", form), minute}, c.Parts)
	if c.Cell != "" {
		m.addMinute(minuteKey{m.scope(c.Pair, c.Cell, form), minute}, c.Parts)
	}
}

// addMinute adds p to the sum of k.
func (m *minuteSums) addMinute(k minuteKey, p tension.Parts) {
	i, ok := m.index[k]
	if !ok {
		i = int32(len(m.keys))
		m.keys = append(m.keys, k)
		m.sums = append(m.sums, tension.Parts{})
		m.index[k] = i
	}
	m.sums[i].Add(p)
}

// rows rolls the minute sums up into the bucket rows of every granularity,
// bucket rows and then cell rows, each in the table's order (TableOrder).
func (m *minuteSums) rows() []Row {
	rows := make([]Row, 0, len(tension.Granularities)*m.len())
	ms := m.sorted()
	return ms.appendCellRows(ms.appendBucketRows(rows))
}

// sortedMinutes are a block's minute sums sorted by cell, pair, view and
// minute: the plain pairs' (cell "") first, then each cell's in a run.
type sortedMinutes struct {
	scopes  []bucketScope // sorted by cell, pair and view: by rank
	minutes []minuteRef   // sorted by rank and minute
	sums    []tension.Parts
	// twoForms: some cell, pair and version has rows in its own view only
	// and rows in the current view too (a batch that counts an article
	// under an older version beside others under it as current). The
	// table orders such rows by bucket before in_current, so their runs
	// are merged by sorting (rare).
	twoForms bool
}

// minuteRef is a minute sum in sortedMinutes: small, so that sorting
// moves 16 bytes a minute and compares two numbers.
type minuteRef struct {
	rank   int32 // index in sortedMinutes.scopes
	sum    int32 // index in sortedMinutes.sums
	minute int64
}

func (m *minuteSums) sorted() sortedMinutes {
	scopes, rank := m.bucketScopes()
	minutes := make([]minuteRef, len(m.keys))
	for i, k := range m.keys {
		minutes[i] = minuteRef{rank[k.scope], int32(i), k.minute}
	}
	slices.SortFunc(minutes, func(a, c minuteRef) int {
		if a.rank != c.rank {
			return cmp.Compare(a.rank, c.rank)
		}
		return cmp.Compare(a.minute, c.minute)
	})
	twoForms := false
	for i := 1; i < len(scopes); i++ {
		a, c := scopes[i-1], scopes[i]
		if a.cell == c.cell && a.pair == c.pair && a.version == c.version {
			twoForms = true
			break
		}
	}
	return sortedMinutes{scopes, minutes, m.sums, twoForms}
}

// bucketScopes returns the distinct bucket scopes of the minute scopes,
// sorted by cell, pair and view, and the rank of each minute scope in them
// (the pairs "p" and "p|" are both p's bucket rows: they share a rank; so
// do a cell written in the pair, "p|c", and in the cell, p with cell c).
func (m *minuteSums) bucketScopes() ([]bucketScope, []int32) {
	split := make([]bucketScope, m.scopes.len())
	order := make([]int32, m.scopes.len())
	for i, s := range m.scopes.values {
		pair, cell := tension.SplitCellPair(s.pair)
		if s.cell != "" {
			cell = s.cell
		}
		split[i] = bucketScope{pair, cell, s.version, s.inCurrent}
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, c int32) int { return compareBucketScopes(&split[a], &split[c]) })
	distinct := make([]bucketScope, 0, len(order))
	rank := make([]int32, m.scopes.len())
	for _, i := range order {
		if len(distinct) == 0 || distinct[len(distinct)-1] != split[i] {
			distinct = append(distinct, split[i])
		}
		rank[i] = int32(len(distinct) - 1)
	}
	return distinct, rank
}

// rows is the number of bucket and cell rows the minutes roll up into
// (appendRolledUp): a row per run of minutes in the same scope and bucket.
func (ms sortedMinutes) rows() int {
	n := 0
	for _, g := range tension.Granularities {
		width := int64(g.Duration() / time.Second)
		for i, m := range ms.minutes {
			if i == 0 || m.rank != ms.minutes[i-1].rank || floorTo(m.minute, width) != floorTo(ms.minutes[i-1].minute, width) {
				n++
			}
		}
	}
	return n
}

// cell is the cell of the i-th minute.
func (ms sortedMinutes) cell(i int) string { return ms.scopes[ms.minutes[i].rank].cell }

// appendBucketRows appends the bucket rows (the plain pairs' sums) in the
// table's order: granularity (minute, hour, day: the Enum's order), pair,
// view, bucket.
func (ms sortedMinutes) appendBucketRows(rows []Row) []Row {
	end := 0
	for end < len(ms.minutes) && ms.cell(end) == "" {
		end++
	}
	return ms.appendRolledUp(rows, ms.minutes[:end])
}

// appendCellRows appends the cell rows in the table's order: cell (their
// key), then as bucket rows.
func (ms sortedMinutes) appendCellRows(rows []Row) []Row {
	i := 0
	for i < len(ms.minutes) && ms.cell(i) == "" {
		i++
	}
	for i < len(ms.minutes) {
		j := i
		for j < len(ms.minutes) && ms.cell(j) == ms.cell(i) {
			j++
		}
		rows = ms.appendRolledUp(rows, ms.minutes[i:j])
		i = j
	}
	return rows
}

// appendRolledUp appends, for each granularity in the Enum's order, one
// pass over minutes (a run of ms.minutes of one cell, sorted by pair, view
// and minute) that sums the runs of minutes in the same bucket.
func (ms sortedMinutes) appendRolledUp(rows []Row, minutes []minuteRef) []Row {
	for _, g := range tension.Granularities {
		width := int64(g.Duration() / time.Second)
		from := len(rows)
		for i := 0; i < len(minutes); {
			rank, bucket := minutes[i].rank, floorTo(minutes[i].minute, width)
			var sum tension.Parts
			for ; i < len(minutes) && minutes[i].rank == rank && floorTo(minutes[i].minute, width) == bucket; i++ {
				sum.Add(ms.sums[minutes[i].sum])
			}
			s := &ms.scopes[rank]
			rows = append(rows, bucketRow(bucketKey{g, s.pair, s.cell, s.version, s.inCurrent, bucket}, sum))
		}
		if ms.twoForms {
			slices.SortFunc(rows[from:], func(a, c Row) int { return CompareInTable(&a, &c) })
		}
	}
	return rows
}

// addContribution adds a contribution to the bucket sums and the article
// rows of form: one row each for both views when form.inCurrent.
func (b *Builder) addContribution(c Contribution, form viewForm) {
	b.buckets.add(c, form)
	b.articles = append(b.articles, articleEntry{c.Pair, form.version, c.Bucket, c.Parts, form.inCurrent, c.Cell, c.Marker})
}

// appendArticleRows appends the article rows of the block to out, sorted
// (sortArticles) and each key once: rows with the same key summed.
func (b *Builder) appendArticleRows(out []Row, block string) []Row {
	// By id, and an article's groups in the order they were added: a
	// stable sort by id, but pdqsort's (groups start at increasing rows),
	// which is cheaper than the stable sort's merges.
	groups := slices.Clone(b.groups)
	slices.SortFunc(groups, func(a, c articleGroup) int {
		if a.id != c.id {
			return strings.Compare(a.id, c.id)
		}
		return cmp.Compare(a.from, c.from)
	})
	var entries []articleEntry
	for i := 0; i < len(groups); {
		id := groups[i].id
		entries = entries[:0]
		for ; i < len(groups) && groups[i].id == id; i++ {
			entries = append(entries, b.articles[groups[i].from:groups[i].to]...)
		}
		slices.SortStableFunc(entries, compareInArticle)
		for k, e := range entries {
			if k > 0 && compareInArticle(entries[k-1], e) == 0 {
				last := &out[len(out)-1]
				last.Entries++
				last.Parts.Add(e.parts)
				continue
			}
			out = append(out, Row{Kind: KindArticle, Key: id, Granularity: granularityNone, Pair: e.pair,
				TaggerVersion: e.version, Bucket: e.bucket, Entries: 1, Parts: e.parts, Block: block, InCurrent: e.inCurrent, Cell: e.cell, Marker: e.marker})
		}
	}
	return out
}

// compareInArticle orders the rows of one article (sortArticles).
func compareInArticle(a, c articleEntry) int {
	if x := strings.Compare(a.pair, c.pair); x != 0 {
		return x
	}
	if x := strings.Compare(a.version, c.version); x != 0 {
		return x
	}
	if x := a.bucket.Compare(c.bucket); x != 0 {
		return x
	}
	if x := cmp.Compare(b2i(a.inCurrent), b2i(c.inCurrent)); x != 0 {
		return x
	}
	if x := strings.Compare(a.cell, c.cell); x != 0 {
		return x
	}
	return strings.Compare(a.marker, c.marker)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// MaxRange is the longest offset range one range row holds; longer ones are
// split. Bounding it lets a reader find every range that covers offsets at
// or after x among the rows whose first offset is at least x - MaxRange.
const MaxRange = 1 << 20

// Cover records that the block consumed offsets [from, to) of partition of
// the log (a topic and its identity, see the sink's ledger).
func (b *Builder) Cover(log string, partition int32, from, to int64) {
	for from < to {
		end := min(to, from+MaxRange)
		b.ranges = append(b.ranges, Row{Kind: KindRange, Key: log, Granularity: granularityNone,
			Pair: RangeKey(partition, from), SrcPartition: partition, SrcOffset: from, Position: end, Entries: 1})
		from = end
	}
}

// RangeKey is what a range row holds in its pair column: its partition and
// first offset, zero-padded so that the strings sort as the numbers do.
//
// The ledger's reads ask for a partition's ranges from an offset on, and
// src_partition and src_offset alone cannot find them: the journal's primary
// index is the sorting key of migration 0002, which ends at src_partition
// (later migrations lengthened the sorting key, never the index), so a read
// went through every range row of the partition, one per block — two million
// a day for a sink writing four blocks a second over six partitions, read
// three times a batch. pair comes before src_partition in the index, so a
// read bounded by RangeKey(p, from) and RangeKey(p, math.MaxInt64) reads
// only the granules that hold those ranges. Rows written before have pair
// "" and are read by partition as before (store.Ranges reads both forms).
// Partitions and offsets are never negative.
func RangeKey(partition int32, from int64) string {
	return fmt.Sprintf("%010d/%019d", partition, from)
}

// Rows returns every row of the block with id block, in the table's order
// (TableOrder): bucket rows, article rows, range rows, cell rows, entity and
// cue rollups. A block that arrives sorted is not sorted again by the server
// (MergeTreeDataWriterBlocksAlreadySorted): its sort was half the CPU of the
// journal's INSERT.
func (b *Builder) Rows(block string) []Row {
	// Room for every row at most (the bucket rows counted, each rollup and
	// article entry at most one), so that the block's rows are made in one
	// slice and never copied to a larger one. Counting the bucket rows
	// instead of allowing one per minute and granularity saves a third of
	// the slice on a day of news (a Row is over 200 bytes).
	minutes := b.buckets.sorted()
	rows := make([]Row, 0, minutes.rows()+b.rollups.len()+len(b.articles)+len(b.ranges))
	rows = minutes.appendBucketRows(rows)
	rows = b.appendArticleRows(rows, block)
	from := len(rows)
	for _, r := range b.ranges {
		r.Block = block
		rows = append(rows, r)
	}
	sortRanges(rows[from:])
	rows = minutes.appendCellRows(rows)
	return b.rollups.appendRows(rows)
}

// floorTo rounds unix seconds down to a multiple of width (as
// Granularity.Truncate does, before 1970 too).
func floorTo(sec, width int64) int64 {
	return sec - ((sec%width)+width)%width
}

// compareBucketScopes orders bucket scopes by cell, pair and view (the
// version's rows before those in the current view too).
func compareBucketScopes(a, c *bucketScope) int {
	if a.cell != c.cell {
		return strings.Compare(a.cell, c.cell)
	}
	if a.pair != c.pair {
		return strings.Compare(a.pair, c.pair)
	}
	if a.version != c.version {
		return strings.Compare(a.version, c.version)
	}
	return cmp.Compare(b2i(a.inCurrent), b2i(c.inCurrent))
}

// bucketRow is the bucket (or cell) row of key k.
func bucketRow(k bucketKey, p tension.Parts) Row {
	kind := KindBucket
	if k.cell != "" {
		kind = KindCell
	}
	return Row{Kind: kind, Key: k.cell, Granularity: string(k.granularity), Pair: k.pair,
		TaggerVersion: k.version, InCurrent: k.inCurrent, Bucket: time.Unix(k.bucket, 0).UTC(), Entries: 1, Parts: p}
}

// sortArticles orders one block's article rows as the table does
// (CompareInTable).
func sortArticles(rows []Row) {
	sort.Slice(rows, func(i, j int) bool { return CompareInTable(&rows[i], &rows[j]) < 0 })
}

// Compensation returns the block that cancels block: its article rows
// negated (under block+CompensationSuffix, so the loser's own rows stay as
// they were written), the bucket and rollup deltas those imply (tags holds
// the tags of MarkerRefs(articles), read from the raw tables), and its range rows
// negated under the loser's id (they sum to nothing and vanish on merge,
// which takes the ranges out of the ledger). articles and ranges are the
// loser's rows as read back, each key once. The result depends on nothing
// else, in a fixed order: two processes compensating the same block write
// identical blocks, which a replicated table keeps once (insert
// deduplication).
func Compensation(block string, articles, ranges []Row, tags map[VersionRef]*Tags) []Row {
	buckets := newMinuteSums()
	neg := make([]Row, 0, len(articles))
	for _, r := range articles {
		n := r
		n.Block = block + CompensationSuffix
		n.Entries = -r.Entries
		n.Parts = r.Parts.Neg()
		neg = append(neg, n)
		buckets.add(Contribution{Pair: r.Pair, Bucket: r.Bucket, Cell: r.Cell, Parts: n.Parts}, r.form())
	}
	sortArticles(neg)
	minutes := buckets.sorted()
	rows := minutes.appendBucketRows(make([]Row, 0, len(tension.Granularities)*buckets.len()+2*len(neg)+len(ranges)))
	rows = append(rows, neg...)
	rs := make([]Row, 0, len(ranges))
	for _, r := range ranges {
		n := r
		n.Block = block
		n.Entries = -r.Entries
		n.Position = -r.Position
		rs = append(rs, n)
	}
	sortRanges(rs)
	rows = append(rows, rs...)
	rows = minutes.appendCellRows(rows)
	return append(rows, RollupRows(neg, tags)...)
}

// sortRanges orders range rows by log, partition and first offset (the
// table's order for them).
func sortRanges(rs []Row) {
	slices.SortFunc(rs, func(a, c Row) int {
		if n := strings.Compare(a.Key, c.Key); n != 0 {
			return n
		}
		if n := strings.Compare(a.Pair, c.Pair); n != 0 { // RangeKey, or "" before it
			return n
		}
		if n := cmp.Compare(a.SrcPartition, c.SrcPartition); n != 0 {
			return n
		}
		return cmp.Compare(a.SrcOffset, c.SrcOffset)
	})
}

// CompensationSuffix marks the article rows that cancel a block's.
const CompensationSuffix = "~"

// BucketRows rolls article rows up into the bucket rows of every
// granularity: what a block's bucket rows are, by construction.
func BucketRows(articles []Row) []Row {
	buckets := newMinuteSums()
	for _, r := range articles {
		buckets.add(Contribution{Pair: r.Pair, Bucket: r.Bucket, Cell: r.Cell, Parts: r.Parts}, r.form())
	}
	return buckets.rows()
}

// Empty reports whether the batch would write nothing.
func (b *Builder) Empty() bool {
	return b.buckets.len() == 0 && len(b.articles) == 0 && len(b.ranges) == 0 && b.rollups.len() == 0
}

func sortedKeys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
