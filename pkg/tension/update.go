package tension

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/jsonwire"
)

// Update is one message of tension.index.v1 (schemas/index.v1.json): the
// state of one bucket of one pair after a committed sink batch. The topic is
// compacted and keyed by UpdateKey, so the newest message per key is the
// bucket's current state and a consumer that reads the topic from the
// beginning rebuilds the whole index.
//
// Revision grows by at least one every time the message's content can
// change, and equal revisions carry equal content: a consumer keeps, per
// key, the message with the highest revision and ignores the others (a
// re-published bucket after a sink restart has the same revision).
type Update struct {
	Pair          string    `json:"pair"` // "CN-US", or "*" for the count of every article
	Granularity   string    `json:"granularity"`
	BucketStart   time.Time `json:"bucket_start"`
	TaggerVersion string    `json:"tagger_version,omitempty"` // "" (omitted) is the current view
	Revision      int64     `json:"revision"`
	Parts
	NetTension   float64   `json:"net_tension"`
	TensionShare float64   `json:"tension_share"`
	TensionIndex *float64  `json:"tension_index,omitempty"` // only when the publisher has a base period
	UpdatedAt    time.Time `json:"updated_at"`
}

// UpdateKey is the Kafka key of an update: pair|granularity|bucket_start
// (RFC 3339, UTC) for the current view, with |tagger_version appended for a
// named version's own view.
func UpdateKey(pair string, g Granularity, start time.Time, taggerVersion string) string {
	k := pair + "|" + string(g) + "|" + start.UTC().Format(time.RFC3339)
	if taggerVersion != "" {
		k += "|" + taggerVersion
	}
	return k
}

// ParseUpdateKey splits a key made by UpdateKey.
func ParseUpdateKey(key string) (pair string, g Granularity, start time.Time, taggerVersion string, err error) {
	parts := strings.SplitN(key, "|", 4)
	if len(parts) < 3 {
		return "", "", time.Time{}, "", fmt.Errorf("tension: index key %q: want pair|granularity|bucket_start", key)
	}
	if g, err = ParseGranularity(parts[1]); err != nil {
		return "", "", time.Time{}, "", fmt.Errorf("tension: index key %q: %w", key, err)
	}
	if start, err = time.Parse(time.RFC3339, parts[2]); err != nil {
		return "", "", time.Time{}, "", fmt.Errorf("tension: index key %q: %w", key, err)
	}
	if len(parts) == 4 {
		taggerVersion = parts[3]
	}
	return parts[0], g, start.UTC(), taggerVersion, nil
}

// Key returns u's Kafka key.
func (u *Update) Key() string {
	return UpdateKey(u.Pair, Granularity(u.Granularity), u.BucketStart, u.TaggerVersion)
}

// NewUpdate derives an update from a bucket's summed parts. pair holds the
// pair's own parts; all is the number of articles in the bucket (the "*"
// pair), the denominator of TensionShare. baseShare > 0 sets TensionIndex.
func NewUpdate(pair string, g Granularity, start time.Time, taggerVersion string, revision int64,
	p Parts, all int64, baseShare float64, now time.Time) Update {
	p.Articles = all
	u := Update{
		Pair: pair, Granularity: string(g), BucketStart: start.UTC(), TaggerVersion: taggerVersion,
		Revision: revision, Parts: p, NetTension: NetTension(p), TensionShare: TensionShare(p.Escalating, all),
		UpdatedAt: now.UTC(),
	}
	if baseShare > 0 {
		ti := TensionIndex(u.TensionShare, baseShare)
		u.TensionIndex = &ti
	}
	return u
}

// CellUpdate is one message of tension.index.cells.v1
// (schemas/index-cell.v1.json): the additive parts of one cell of the
// index split (docs/views.md) in one bucket, published beside the pairs'
// updates when the sink is asked to (-index-cells). A pair's cells sum to
// the pair's parts on tension.index.v1, part by part; the "*" pair's cells
// are its language cells, whose articles sum to every article. A consumer
// sums the cells it selects and divides by the right denominator itself
// (every article for actor and source type, the language's "*" cells for
// a language), as the query API does. Revision and delivery are as in
// Update: the highest revision per key is the cell's state.
type CellUpdate struct {
	Pair          string    `json:"pair"`        // "CN-US", or "*" for the language cells of every article
	Actor         string    `json:"actor"`       // the acting side's code; "" no side dominates (and on "*")
	SourceType    string    `json:"source_type"` // a SourceTypes value; "" on "*"
	Lang          string    `json:"lang"`        // the article language (NormLang)
	Granularity   string    `json:"granularity"`
	BucketStart   time.Time `json:"bucket_start"`
	TaggerVersion string    `json:"tagger_version,omitempty"` // "" (omitted) is the current view
	Revision      int64     `json:"revision"`
	Parts
	UpdatedAt time.Time `json:"updated_at"`
}

// CellUpdateKey is the Kafka key of a cell update:
// pair|granularity|bucket_start|actor|source_type|lang, with |tagger_version
// appended for a named version's own view (empty fields stay empty).
func CellUpdateKey(pair string, c Cell, g Granularity, start time.Time, taggerVersion string) string {
	return UpdateKey(pair, g, start, "") + "|" + c.Key() + versionSuffix(taggerVersion)
}

func versionSuffix(v string) string {
	if v == "" {
		return ""
	}
	return "|" + v
}

// Key returns u's Kafka key.
func (u *CellUpdate) Key() string {
	return CellUpdateKey(u.Pair, u.Cell(), Granularity(u.Granularity), u.BucketStart, u.TaggerVersion)
}

// Cell is the cell u is about.
func (u *CellUpdate) Cell() Cell { return Cell{Actor: u.Actor, Source: u.SourceType, Lang: u.Lang} }

// ParseCellUpdateKey splits a key made by CellUpdateKey.
func ParseCellUpdateKey(key string) (pair string, c Cell, g Granularity, start time.Time, taggerVersion string, err error) {
	parts := strings.SplitN(key, "|", 7)
	if len(parts) < 6 {
		return "", Cell{}, "", time.Time{}, "", fmt.Errorf("tension: index cell key %q: want pair|granularity|bucket_start|actor|source_type|lang", key)
	}
	if pair, g, start, _, err = ParseUpdateKey(strings.Join(parts[:3], "|")); err != nil {
		return "", Cell{}, "", time.Time{}, "", err
	}
	c = Cell{Actor: parts[3], Source: parts[4], Lang: parts[5]}
	if len(parts) == 7 {
		taggerVersion = parts[6]
	}
	return pair, c, g, start, taggerVersion, nil
}

// NewCellUpdate is the update of one cell's summed parts.
func NewCellUpdate(pair string, c Cell, g Granularity, start time.Time, taggerVersion string, revision int64, p Parts, now time.Time) CellUpdate {
	return CellUpdate{Pair: pair, Actor: c.Actor, SourceType: c.Source, Lang: c.Lang, Granularity: string(g),
		BucketStart: start.UTC(), TaggerVersion: taggerVersion, Revision: revision, Parts: p, UpdatedAt: now.UTC()}
}

// AppendJSON appends u as encoding/json marshals it: the same bytes, without
// reflection. The sink publishes one update per bucket a batch touches (a
// backfill's batch some tens of thousands), where json.Marshal was 2–3 % of
// its CPU. A float encoding/json refuses (NaN, ±Inf) is
// jsonwire.ErrUnsupported.
func (u *Update) AppendJSON(dst []byte) ([]byte, error) {
	dst = appendKey(dst, '{', "pair")
	dst = jsonwire.AppendString(dst, u.Pair, true)
	dst, err := appendHead(dst, u.Granularity, u.BucketStart, u.TaggerVersion, u.Revision, &u.Parts)
	if err != nil {
		return dst, err
	}
	if dst, err = appendFloatField(dst, "net_tension", u.NetTension); err != nil {
		return dst, err
	}
	if dst, err = appendFloatField(dst, "tension_share", u.TensionShare); err != nil {
		return dst, err
	}
	if u.TensionIndex != nil {
		if dst, err = appendFloatField(dst, "tension_index", *u.TensionIndex); err != nil {
			return dst, err
		}
	}
	return appendTail(dst, u.UpdatedAt)
}

// AppendJSON appends u as encoding/json marshals it (see Update.AppendJSON).
func (u *CellUpdate) AppendJSON(dst []byte) ([]byte, error) {
	dst = appendKey(dst, '{', "pair")
	dst = jsonwire.AppendString(dst, u.Pair, true)
	dst = appendKey(dst, ',', "actor")
	dst = jsonwire.AppendString(dst, u.Actor, true)
	dst = appendKey(dst, ',', "source_type")
	dst = jsonwire.AppendString(dst, u.SourceType, true)
	dst = appendKey(dst, ',', "lang")
	dst = jsonwire.AppendString(dst, u.Lang, true)
	dst, err := appendHead(dst, u.Granularity, u.BucketStart, u.TaggerVersion, u.Revision, &u.Parts)
	if err != nil {
		return dst, err
	}
	return appendTail(dst, u.UpdatedAt)
}

// appendKey appends sep and "name": (names here need no escaping).
func appendKey(dst []byte, sep byte, name string) []byte {
	dst = append(dst, sep, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

// appendHead appends the members both updates share, from granularity to
// the parts, in their field order.
func appendHead(dst []byte, granularity string, start time.Time, version string, revision int64, p *Parts) ([]byte, error) {
	dst = appendKey(dst, ',', "granularity")
	dst = jsonwire.AppendString(dst, granularity, true)
	dst = appendKey(dst, ',', "bucket_start")
	dst, err := jsonwire.AppendTime(dst, start)
	if err != nil {
		return dst, err
	}
	if version != "" {
		dst = appendKey(dst, ',', "tagger_version")
		dst = jsonwire.AppendString(dst, version, true)
	}
	dst = appendKey(dst, ',', "revision")
	dst = strconv.AppendInt(dst, revision, 10)
	for _, f := range [...]struct {
		name string
		v    int64
	}{{"articles", p.Articles}, {"dyad_articles", p.DyadArticles}, {"escalating", p.Escalating},
		{"deescalating", p.Deescalating}, {"mixed", p.Mixed}} {
		dst = appendKey(dst, ',', f.name)
		dst = strconv.AppendInt(dst, f.v, 10)
	}
	if dst, err = appendFloatField(dst, "sum_score", p.SumScore); err != nil {
		return dst, err
	}
	return appendFloatField(dst, "sum_weight", p.SumWeight)
}

func appendFloatField(dst []byte, name string, f float64) ([]byte, error) {
	return jsonwire.AppendFloat(appendKey(dst, ',', name), f)
}

// appendTail appends updated_at and closes the object.
func appendTail(dst []byte, updated time.Time) ([]byte, error) {
	dst = appendKey(dst, ',', "updated_at")
	dst, err := jsonwire.AppendTime(dst, updated)
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}
