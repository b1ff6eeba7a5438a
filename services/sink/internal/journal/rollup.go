package journal

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
)

// Rollup row kinds (migration 0010): the ranked lists (/v1/entities/top,
// /v1/cues/top) pre-aggregated per day, pair and view, written in the same
// block as the rest, so they have the index's exactly-once effect.
const (
	// KindEntity rows count an entity (canonical, type, country) per day:
	// articles = articles mentioning it, entries = its mentions.
	KindEntity = "entity"
	// KindCue rows count a cue phrase (text, category, polarity, actor,
	// target) per day and effective weight (src_offset holds the weight's
	// IEEE-754 bits; weights are never negative, so the bits order like the
	// weights): entries = occurrences, sum_weight = their weights, articles
	// = the articles whose strongest occurrence of the cue has this weight
	// (so the articles of a cue add up over its weights, and its strongest
	// weight is the largest one whose occurrences do not sum to zero).
	KindCue = "cue"

	// RollupSep separates the parts of a rollup row's key.
	RollupSep = tension.RollupSep

	// markerPrefix starts the pair of an article row that says which
	// tagger version's tags the view's rollups hold for the article:
	// articles = +1 where a block added them, -1 where it took them out.
	// Markers have no bucket rows; they let a compensation (and rebuild)
	// tell from the journal alone which raw rows a block rolled up.
	markerPrefix = "@"
)

// VersionMarker is the pair of the marker rows of tagger version v.
func VersionMarker(v string) string { return markerPrefix + v }

// MarkerVersion returns the version of a marker pair, and whether pair is
// one.
func MarkerVersion(pair string) (string, bool) {
	return strings.CutPrefix(pair, markerPrefix)
}

// RollupPrefix is tension.RollupPrefix.
func RollupPrefix(pair, view string, day time.Time) string {
	return tension.RollupPrefix(pair, view, day)
}

// VersionRef names one tagger version of an article.
type VersionRef struct{ ID, Version string }

// VersionAt is a version and the minute of its event time (its marker
// row's bucket), which bounds where its raw rows are stored.
type VersionAt struct {
	VersionRef
	At time.Time
}

// Tags is what one article version adds to the ranked lists: read from the
// enriched message when it is counted, and from the raw tables (which hold
// the same values) when a later block takes it out again.
type Tags struct {
	At       time.Time // the event time to the second: the raw rows' published_at
	Day      time.Time // UTC day of the event time
	Pairs    []string  // the version's dyads
	Entities []EntityTag
	Cues     []CueTag

	sum *summary // what the tags add to a view, once computed
}

// EntityTag is one mention of an entity.
type EntityTag struct{ Canonical, Type, Country string }

// CueTag is one cue of a dyad.
type CueTag struct {
	Pair, Text, Category string
	Polarity             int8
	Actor, Target        string
	Weight               float64
}

// TagsOf returns the tags of an enriched article, as the raw tables store
// them.
func TagsOf(e *event.Enriched) *Tags {
	at := e.EventTime().Truncate(time.Second)
	t := &Tags{At: at, Day: tension.Day.Truncate(at)}
	if len(e.Entities) > 0 {
		t.Entities = make([]EntityTag, 0, len(e.Entities))
	}
	if len(e.Dyads) > 0 {
		cues := 0
		for _, d := range e.Dyads {
			cues += len(d.Cues)
		}
		t.Pairs, t.Cues = make([]string, 0, len(e.Dyads)), make([]CueTag, 0, cues)
	}
	for _, en := range e.Entities {
		t.Entities = append(t.Entities, EntityTag{en.Canonical, en.Type, en.Country})
	}
	for _, d := range e.Dyads {
		t.Pairs = append(t.Pairs, d.Pair)
		for _, c := range d.Cues {
			t.Cues = append(t.Cues, CueTag{d.Pair, c.Text, c.Category, int8(c.Polarity), c.Actor, c.Target, c.Weight})
		}
	}
	return t
}

// rollScope is what a rollup row's key starts with — its kind, pair and
// view (the view in its key) — and its form: the version it is written
// under and whether it counts in the current view too. A row in two views
// (inCurrent, migration 0014) is keyed under the current view, the view
// the ranked lists read most (RollupViewKey gives its key in the other).
// A batch has a few dozen; its rollup keys hold the scope's index.
type rollScope struct {
	kind, pair, view string
	version          string
	inCurrent        bool
}

// keyView is the view in the key of a rollup row of form f.
func (f viewForm) keyView() string {
	if f.inCurrent {
		return CurrentView
	}
	return f.version
}

// RollupViewKey returns the key that a rollup row keyed key (pair's)
// stands for in view: a row in two views (InCurrent) is keyed under the
// current view's prefix and stands for the same key in its version's view
// with that view in the prefix. Other keys are returned as they are.
func RollupViewKey(key, pair, view string) string {
	if view == CurrentView {
		return key
	}
	rest, ok := strings.CutPrefix(key, pair+RollupSep+CurrentView+RollupSep)
	if !ok {
		return key
	}
	return pair + RollupSep + view + RollupSep + rest
}

// rollKey is a rollup row's key. It holds the indexes of its scope and item
// instead of their strings: a version's item is looked up once for all its
// pairs and views, the key hashes as 24 bytes, and the keys hold no
// pointer for the garbage collector to follow (a block on two years of
// articles has a score of keys per article).
type rollKey struct {
	scope  int32 // number in rollups.scopes
	item   int32 // number in rollups.items
	day    int64
	weight int64 // cue rows: the weight's bits
}

// rollVal is what a rollup row sums.
type rollVal struct {
	entries, articles int64
	weight            float64
}

// rollups sums a block's rollup rows by key. The sums are held in a slice
// in the order their keys came, not behind a pointer each: a block on two
// years of articles has 16 per article, which were 17% of the builder's
// allocations, and Rows sorted pointers to them spread over the heap.
type rollups struct {
	scopes numbering[rollScope]
	items  numbering[string] // entities' and cues' items
	// The items of entities and cue phrases by their parts, so that a
	// version's items are not joined into strings again and again (a third
	// of a version's summary): a new one is joined and numbered in items.
	entityItems map[EntityTag]int32
	cueItems    map[cuePhrase]int32
	ids         []int32 // addTags' item indexes, kept for the next call
	keys        []rollKey
	vals        []rollVal         // the sum of keys[i]
	index       map[rollKey]int32 // index in keys and vals
}

func newRollups() rollups {
	return rollups{scopes: newNumbering[rollScope](), items: newNumbering[string](), index: map[rollKey]int32{},
		entityItems: map[EntityTag]int32{}, cueItems: map[cuePhrase]int32{}}
}

// grow makes room for n more keys.
func (m *rollups) grow(n int) {
	if len(m.keys) == 0 {
		m.index = make(map[rollKey]int32, n)
	}
	m.keys = slices.Grow(m.keys, n)
	m.vals = slices.Grow(m.vals, n)
}

// len is the number of keys summed.
func (m *rollups) len() int { return len(m.keys) }

// scope returns the number of (kind, pair, form).
func (m *rollups) scope(kind, pair string, f viewForm) int32 {
	return m.scopes.of(rollScope{kind, pair, f.keyView(), f.version, f.inCurrent})
}

// entityItem returns the index of the item of an entity (canonical name,
// type and country), adding it when new.
func (m *rollups) entityItem(e *EntityTag) int32 {
	i, ok := m.entityItems[*e]
	if !ok {
		i = m.items.of(e.Canonical + RollupSep + e.Type + RollupSep + e.Country)
		m.entityItems[*e] = i
	}
	return i
}

// cuePhrase is a cue's item in parts: the phrase without its pair.
type cuePhrase struct {
	text, category string
	polarity       int8
	actor, target  string
}

// cueItem returns the index of the item of a cue's phrase, adding it when
// new.
func (m *rollups) cueItem(c *CueTag) int32 {
	p := cuePhrase{c.Text, c.Category, c.Polarity, c.Actor, c.Target}
	i, ok := m.cueItems[p]
	if !ok {
		i = m.items.of(c.Text + RollupSep + c.Category + RollupSep + polarityText(c.Polarity) + RollupSep + c.Actor + RollupSep + c.Target)
		m.cueItems[p] = i
	}
	return i
}

func (m *rollups) add(k rollKey, entries, articles int64, weight float64) {
	i, ok := m.index[k]
	if !ok {
		i = int32(len(m.keys))
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, rollVal{})
		m.index[k] = i
	}
	v := &m.vals[i]
	v.entries += entries
	v.articles += articles
	v.weight += weight
}

// summary is what a version's tags add to one view, computed once per
// version (a version is added to two views, and may be taken out again).
type summary struct {
	pairs    []string // "*" and the version's pairs, each once
	entities []entitySum
	cues     []cueSum
}

// entitySum is an entity of a version: its item is the canonical name,
// type and smallest country of its mentions, which the rollups make into
// a string only for an item new to the batch (rollups.entityItem).
type entitySum struct {
	first    *EntityTag // the mention with the smallest country
	mentions int64
}

// cueSum is a cue phrase of a version at one weight: its pair and item
// are those of the phrase's first cue, made into a string only for an item
// new to the batch (rollups.cueItem).
type cueSum struct {
	phrase    *CueTag // the phrase's first cue, shared by its weights
	weight    float64
	n         int64
	sum       float64
	strongest bool // the largest weight of the cue in the version
}

func (t *Tags) summary() *summary {
	if t.sum != nil {
		return t.sum
	}
	sm := &summary{pairs: make([]string, 0, 1+len(t.Pairs))}
	sm.pairs = append(sm.pairs, tension.AllPair)
	for _, p := range t.Pairs {
		if p != tension.AllPair && !slices.Contains(sm.pairs[1:], p) {
			sm.pairs = append(sm.pairs, p)
		}
	}
	sm.entities = entitySums(t.Entities)
	sm.cues = cueSums(t.Cues)
	t.sum = sm
	return sm
}

// entitySums groups mentions by canonical name and type (sorted, not
// hashed: an article has a handful), each filed under the smallest
// country its mentions carry. It sorts pointers to the mentions: a sort of
// the 48-byte tags copied them at every comparison and swap.
func entitySums(mentions []EntityTag) []entitySum {
	if len(mentions) == 0 {
		return nil
	}
	sorted := make([]*EntityTag, len(mentions))
	for i := range mentions {
		sorted[i] = &mentions[i]
	}
	slices.SortFunc(sorted, func(a, c *EntityTag) int {
		if x := strings.Compare(a.Canonical, c.Canonical); x != 0 {
			return x
		}
		if x := strings.Compare(a.Type, c.Type); x != 0 {
			return x
		}
		return strings.Compare(a.Country, c.Country)
	})
	out := make([]entitySum, 0, len(sorted))
	for i := 0; i < len(sorted); {
		first := sorted[i] // the smallest country of the group
		j := i + 1
		for j < len(sorted) && sorted[j].Canonical == first.Canonical && sorted[j].Type == first.Type {
			j++
		}
		out = append(out, entitySum{first: first, mentions: int64(j - i)})
		i = j
	}
	return out
}

// cueSums groups a version's cues by pair and phrase (text, category,
// polarity, actor, target), then by weight: the occurrences and their sum
// per weight, and which weight is the phrase's strongest. It sorts
// pointers to the cues: a sort of the 96-byte tags copied them at every
// comparison and swap (the sort was nearly half of a version's summary).
func cueSums(cues []CueTag) []cueSum {
	if len(cues) == 0 {
		return nil
	}
	sorted := make([]*CueTag, len(cues))
	for i := range cues {
		sorted[i] = &cues[i]
	}
	slices.SortFunc(sorted, func(a, c *CueTag) int {
		if x := comparePhrase(a, c); x != 0 {
			return x
		}
		return cmp.Compare(a.Weight, c.Weight)
	})
	out := make([]cueSum, 0, len(sorted))
	for i := 0; i < len(sorted); {
		c := sorted[i]
		j := i + 1
		for j < len(sorted) && comparePhrase(sorted[j], c) == 0 {
			j++
		}
		for k := i; k < j; k++ {
			if k == i || sorted[k].Weight != sorted[k-1].Weight {
				out = append(out, cueSum{phrase: c, weight: sorted[k].Weight})
			}
			last := &out[len(out)-1]
			last.n++
			last.sum += sorted[k].Weight
		}
		out[len(out)-1].strongest = true // weights ascend within the phrase
		i = j
	}
	return out
}

// polarityText is strconv.Itoa of a cue's polarity, without allocating
// for the -1 of every de-escalating cue.
func polarityText(p int8) string {
	switch p {
	case -1:
		return "-1"
	case 0:
		return "0"
	case 1:
		return "1"
	}
	return strconv.Itoa(int(p))
}

// comparePhrase orders cues by pair and phrase, weight aside.
func comparePhrase(a, c *CueTag) int {
	if a.Pair != c.Pair {
		return strings.Compare(a.Pair, c.Pair)
	}
	if a.Text != c.Text {
		return strings.Compare(a.Text, c.Text)
	}
	if a.Category != c.Category {
		return strings.Compare(a.Category, c.Category)
	}
	if a.Polarity != c.Polarity {
		return cmp.Compare(a.Polarity, c.Polarity)
	}
	if a.Actor != c.Actor {
		return strings.Compare(a.Actor, c.Actor)
	}
	return strings.Compare(a.Target, c.Target)
}

// addTags adds sign times an article version's tags to the view(s) of form:
// every entity in "*" and in each of the version's pairs (one article per
// canonical name and type, its mentions, filed under the smallest country
// they carry), every cue in its own pair (a row per weight: the
// occurrences and their sum; the article on its strongest weight).
func (m *rollups) addTags(t *Tags, sign int64, form viewForm) {
	if t == nil {
		return
	}
	sm := t.summary()
	day := t.Day.Unix()
	m.ids = m.ids[:0]
	for _, e := range sm.entities {
		m.ids = append(m.ids, m.entityItem(e.first))
	}
	for i, c := range sm.cues {
		if i > 0 && c.phrase == sm.cues[i-1].phrase {
			m.ids = append(m.ids, m.ids[len(m.ids)-1]) // the phrase at another weight
			continue
		}
		m.ids = append(m.ids, m.cueItem(c.phrase))
	}
	entities, cues := m.ids[:len(sm.entities)], m.ids[len(sm.entities):]
	for _, p := range sm.pairs {
		scope := m.scope(KindEntity, p, form)
		for i, e := range sm.entities {
			m.add(rollKey{scope, entities[i], day, 0}, sign*e.mentions, sign, 0)
		}
	}
	scope, pair := int32(-1), ""
	for i, c := range sm.cues {
		if scope < 0 || c.phrase.Pair != pair { // cues come sorted by pair
			scope, pair = m.scope(KindCue, c.phrase.Pair, form), c.phrase.Pair
		}
		var arts int64
		if c.strongest {
			arts = sign
		}
		m.add(rollKey{scope, cues[i], day, int64(math.Float64bits(c.weight))}, sign*c.n, arts, float64(sign)*c.sum)
	}
}

// rows returns the rollup rows, in a deterministic order.
func (m *rollups) rows() []Row { return m.appendRows(make([]Row, 0, m.len())) }

// appendRows appends the rows of rows() to out in the table's order
// (TableOrder): entity rows before cue rows (the Enum's order), then by key
// and weight. Every sink writes a compensation's rows in the same order, so
// that a replicated journal stores one copy of them; and a block that
// arrives sorted is not sorted again by the server. A key is pair, view,
// day and item joined by RollupSep, which sorts below every byte of a pair
// or a view (letters, digits, '-', '.', '*'), so the keys' order is that of
// (pair, view, day, item): the sort compares the ranks of scopes and items
// and numbers instead of the long keys (on two years of articles that was
// a third of the block's rollup time). The rows of a scope and day share
// their key's prefix, made once.
func (m *rollups) appendRows(out []Row) []Row {
	refs := m.sortedRefs()
	from := len(out)
	var prefix string // of the previous row: a run of rows shares it
	for i, r := range refs {
		k, v := &m.keys[r.key], &m.vals[r.key]
		s := &m.scopes.values[k.scope]
		day := time.Unix(k.day, 0).UTC()
		if i == 0 || r.rank != refs[i-1].rank || r.day != refs[i-1].day {
			prefix = RollupPrefix(s.pair, s.view, day)
		}
		out = append(out, Row{
			Kind: s.kind, Key: prefix + m.items.values[k.item], Granularity: string(tension.Day),
			Pair: s.pair, TaggerVersion: s.version, InCurrent: s.inCurrent, Bucket: day, SrcOffset: k.weight, Entries: v.entries,
			Parts: tension.Parts{Articles: v.articles, SumWeight: v.weight},
		})
	}
	if m.twoForms() {
		slices.SortFunc(out[from:], func(a, c Row) int { return CompareInTable(&a, &c) })
	}
	return out
}

// twoForms reports whether two scopes share their rows' key prefix (kind,
// pair and view) in different forms — a batch that takes an old version out
// of the current view (keyed under it, version "") and counts a new one in
// both views (keyed under it too, version the new one): their rows
// interleave in the table's order, which orders the forms after the key,
// so they are sorted as rows (rare: a stream of new articles has one form
// per key).
func (m *rollups) twoForms() bool {
	type prefix struct{ kind, pair, view string }
	seen := make(map[prefix]bool, m.scopes.len())
	for _, s := range m.scopes.values {
		p := prefix{s.kind, s.pair, s.view}
		if seen[p] {
			return true
		}
		seen[p] = true
	}
	return false
}

// rollRef is a key in the order of appendRows: small, so that sorting
// moves 24 bytes a key and compares numbers (the ranks of its scope and
// item), not strings.
type rollRef struct {
	rank int32 // of the key's scope (scopeRanks)
	item int32 // rank of the key's item (itemRanks)
	day  int64
	key  int32 // index in rollups.keys
}

// sortedRefs returns the keys whose sums are not all zero (a batch may
// add and take out the same tags), in the order of appendRows.
func (m *rollups) sortedRefs() []rollRef {
	rank, itemRank := m.scopes.ranks(compareScopes), m.items.ranks(compareItems)
	refs := make([]rollRef, 0, len(m.keys))
	for i, k := range m.keys {
		if v := &m.vals[i]; v.entries == 0 && v.articles == 0 && v.weight == 0 {
			continue
		}
		refs = append(refs, rollRef{rank[k.scope], itemRank[k.item], k.day, int32(i)})
	}
	slices.SortFunc(refs, func(a, c rollRef) int {
		if a.rank != c.rank {
			return cmp.Compare(a.rank, c.rank)
		}
		if a.day != c.day {
			return cmp.Compare(a.day, c.day)
		}
		if a.item != c.item {
			return cmp.Compare(a.item, c.item)
		}
		return cmp.Compare(m.keys[a.key].weight, m.keys[c.key].weight)
	})
	return refs
}

// compareScopes orders scopes by kind (the Enum's order), pair and view
// (of the key), then form.
func compareScopes(a, c *rollScope) int {
	if n := cmp.Compare(kindOrder(a.kind), kindOrder(c.kind)); n != 0 {
		return n
	}
	if n := strings.Compare(a.pair, c.pair); n != 0 {
		return n
	}
	if n := strings.Compare(a.view, c.view); n != 0 {
		return n
	}
	if n := strings.Compare(a.version, c.version); n != 0 {
		return n
	}
	return cmp.Compare(b2i(a.inCurrent), b2i(c.inCurrent))
}

// compareItems orders items as strings.
func compareItems(a, c *string) int { return strings.Compare(*a, *c) }

// MarkerRefs returns the article versions whose tags the marker rows among
// articles move (each once, sorted): what RollupRows needs read.
func MarkerRefs(articles []Row) []VersionAt {
	seen := map[VersionRef]bool{}
	var out []VersionAt
	for _, r := range articles {
		v, ok := r.MarkerVersion()
		if !ok || r.Kind != KindArticle || seen[VersionRef{r.Key, v}] {
			continue
		}
		seen[VersionRef{r.Key, v}] = true
		out = append(out, VersionAt{VersionRef{r.Key, v}, r.Bucket})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// RollupRows returns the rollup rows that article rows imply: every marker
// row with articles a adds a times its version's tags to its view. tags
// holds the tags of MarkerRefs(articles); a version with none (no entity,
// no cue) may be absent. A block's rollup rows are RollupRows of its own
// article rows, by construction.
func RollupRows(articles []Row, tags map[VersionRef]*Tags) []Row {
	m := newRollups()
	for _, r := range articles {
		v, ok := r.MarkerVersion()
		if !ok || r.Kind != KindArticle || r.Articles == 0 {
			continue
		}
		m.addTags(tags[VersionRef{r.Key, v}], r.Articles, r.form())
	}
	return m.rows()
}
