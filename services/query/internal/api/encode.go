package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/tension-dev/tension/pkg/httpapi"
	"github.com/tension-dev/tension/pkg/tension"

	"github.com/tension-dev/tension/services/query/internal/store"
)

// table is a response that also has a CSV form: a header row and one row
// per record.
type table interface {
	csvHeader() []string
	csvRows() [][]string
}

// writeJSON answers v as JSON (httpapi, as every service does), with the
// query API's charset parameter.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	httpapi.WriteJSON(w, status, v)
}

// writeCSV writes t as RFC 4180 CSV with a header row.
func writeCSV(w http.ResponseWriter, t table) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	if err := cw.Write(t.csvHeader()); err != nil {
		return err
	}
	if err := cw.WriteAll(t.csvRows()); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// write answers v in the requested format.
func write(w http.ResponseWriter, f Format, v table) error {
	if f == CSV {
		return writeCSV(w, v)
	}
	if a, ok := v.(jsonAppender); ok {
		writeAppendedJSON(w, a)
		return nil
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// text makes a free-text CSV cell safe to open in a spreadsheet: a cell
// starting with = + - @ or a control character is a formula there, so it
// gets a leading apostrophe (OWASP's CSV-injection advice). Numbers are
// written by num and never pass through here.
func text(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return "'" + s
	}
	return s
}

func num(f float64) string     { return strconv.FormatFloat(f, 'g', -1, 64) }
func integer(n int64) string   { return strconv.FormatInt(n, 10) }
func uinteger(n uint64) string { return strconv.FormatUint(n, 10) }
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
func boolean(b bool) string    { return strconv.FormatBool(b) }

// IndexResponse is the body of /v1/index.
type IndexResponse struct {
	Pair          string    `json:"pair"`
	Interval      Interval  `json:"interval"`
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	TaggerVersion string    `json:"tagger_version"`
	// Window is the rolling window every bucket's parts are summed over
	// ("7d"); absent without one.
	Window string `json:"window,omitempty"`
	// Filter is the part of the pair the buckets count (actor, source
	// type, language); absent for the whole pair.
	Filter  *Filter       `json:"filter,omitempty"`
	Base    Base          `json:"base"`
	Buckets []IndexBucket `json:"buckets"`
	// filled: the request listed every bucket (fill=gaps or a window), so
	// the CSV form has a gap column.
	filled bool
}

// Base is the base period of tension_index and its share.
type Base struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Share float64   `json:"share"`
}

// IndexBucket is one bucket: its additive parts (summed over the window
// when there is one) and the ratios derived from them with pkg/tension. A
// gap is a bucket with no article (in its window): its ratios are not
// zero but undefined, null in JSON and empty in CSV, and it carries
// "gap": true (the key is absent on other buckets).
type IndexBucket struct {
	Start        time.Time `json:"start"`
	Gap          bool      `json:"gap,omitempty"`
	Articles     int64     `json:"articles"`
	DyadArticles int64     `json:"dyad_articles"`
	Escalating   int64     `json:"escalating"`
	Deescalating int64     `json:"deescalating"`
	Mixed        int64     `json:"mixed"`
	SumScore     float64   `json:"sum_score"`
	SumWeight    float64   `json:"sum_weight"`
	NetTension   float64   `json:"net_tension"`
	TensionShare float64   `json:"tension_share"`
	TensionIndex float64   `json:"tension_index"`
}

// MarshalJSON writes a gap's ratios as null.
func (b IndexBucket) MarshalJSON() ([]byte, error) {
	type plain IndexBucket
	if !b.Gap {
		return json.Marshal(plain(b))
	}
	return json.Marshal(struct {
		plain
		NetTension   *float64 `json:"net_tension"`
		TensionShare *float64 `json:"tension_share"`
		TensionIndex *float64 `json:"tension_index"`
	}{plain: plain(b)})
}

// newIndexBucket derives the ratios of docs/design.md §4 from the summed parts.
func newIndexBucket(b seriesBucket, baseShare float64) IndexBucket {
	p := b.Parts
	share := tension.TensionShare(p.Escalating, p.Articles)
	return IndexBucket{
		Start: b.Start.UTC(), Gap: b.Gap, Articles: p.Articles, DyadArticles: p.DyadArticles,
		Escalating: p.Escalating, Deescalating: p.Deescalating, Mixed: p.Mixed,
		SumScore: p.SumScore, SumWeight: p.SumWeight,
		NetTension: tension.NetTension(p), TensionShare: share,
		TensionIndex: tension.TensionIndex(share, baseShare),
	}
}

func (r IndexResponse) csvHeader() []string {
	h := []string{"start", "articles", "dyad_articles", "escalating", "deescalating", "mixed",
		"sum_score", "sum_weight", "net_tension", "tension_share", "tension_index"}
	if r.filled {
		h = append(h, "gap")
	}
	return h
}

func (r IndexResponse) csvRows() [][]string {
	out := make([][]string, len(r.Buckets))
	for i, b := range r.Buckets {
		ratios := []string{num(b.NetTension), num(b.TensionShare), num(b.TensionIndex)}
		if b.Gap {
			ratios = []string{"", "", ""}
		}
		if r.filled {
			ratios = append(ratios, boolean(b.Gap))
		}
		out[i] = append([]string{stamp(b.Start), integer(b.Articles), integer(b.DyadArticles), integer(b.Escalating),
			integer(b.Deescalating), integer(b.Mixed), num(b.SumScore), num(b.SumWeight)}, ratios...)
	}
	return out
}

// DriversResponse is the body of /v1/drivers.
type DriversResponse struct {
	Pair          string    `json:"pair"`
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	TaggerVersion string    `json:"tagger_version"`
	Lang          string    `json:"lang"` // the lang filter; "" is every language
	Limit         int       `json:"limit"`
	Offset        int       `json:"offset"`
	NextOffset    *int      `json:"next_offset"` // null on the last page
	Drivers       []Driver  `json:"drivers"`
}

// Driver is one article that moved the pair, with its cues on the pair.
type Driver struct {
	ArticleID     string    `json:"article_id"`
	TaggerVersion string    `json:"tagger_version"`
	PublishedAt   time.Time `json:"published_at"`
	// PublishedAtSource: "feed" or "page" (a source follower's date),
	// "none" (no date anywhere: published_at is the receipt time); absent
	// for the sender's own date.
	PublishedAtSource string  `json:"published_at_source,omitempty"`
	Title             string  `json:"title"`
	URL               string  `json:"url"`
	Source            string  `json:"source"`
	Lang              string  `json:"lang"`        // the language the article was read as ("" before it was recorded)
	Unsupported       bool    `json:"unsupported"` // no analyser for lang: the article was not read
	Tension           float64 `json:"tension"`
	Direction         string  `json:"direction"`
	Weight            float64 `json:"weight"`
	NCues             uint32  `json:"n_cues"`
	Cues              []Cue   `json:"cues"`
}

// Cue is one stance cue.
type Cue struct {
	Text        string  `json:"text"`
	Category    string  `json:"category"`
	Actor       string  `json:"actor"`
	Target      string  `json:"target"`
	Polarity    int8    `json:"polarity"`
	Weight      float64 `json:"weight"`
	Hedged      bool    `json:"hedged"`
	Negated     bool    `json:"negated"`
	Future      bool    `json:"future"`
	Background  bool    `json:"background"`
	Source      string  `json:"source"`
	SourceType  string  `json:"source_type"`
	Sentence    int32   `json:"sentence"` // -1: the cue is in the title
	StartOffset uint32  `json:"start_offset"`
	EndOffset   uint32  `json:"end_offset"`
	// Context is the cue's sentence split at the cue (drivers only; null
	// when the stored offsets do not fit the article text).
	Context *CueContext `json:"context,omitempty"`
}

// CueContext is a cue's sentence: before + match + after.
type CueContext struct {
	Before string `json:"before"`
	Match  string `json:"match"`
	After  string `json:"after"`
}

func newCues(cs []store.Cue) []Cue {
	out := make([]Cue, len(cs))
	for i, c := range cs {
		out[i] = Cue{Text: c.Text, Category: c.Category, Actor: c.Actor, Target: c.Target, Polarity: c.Polarity,
			Weight: c.Weight, Hedged: c.Hedged, Negated: c.Negated, Future: c.Future, Background: c.Background,
			Source: c.Source, SourceType: c.SourceType, Sentence: c.Sentence, StartOffset: c.StartOffset, EndOffset: c.EndOffset}
		if c.Context != nil {
			out[i].Context = &CueContext{Before: c.Context.Before, Match: c.Context.Match, After: c.Context.After}
		}
	}
	return out
}

func newDriver(d store.Driver) Driver {
	return Driver{ArticleID: d.ArticleID.String(), TaggerVersion: d.TaggerVersion, PublishedAt: d.PublishedAt.UTC(),
		PublishedAtSource: d.PublishedAtSource,
		Title:             d.Title, URL: d.URL, Source: d.Source, Lang: d.Lang, Unsupported: d.Unsupported, Tension: d.Tension, Direction: d.Direction,
		Weight: d.Weight, NCues: d.NCues, Cues: newCues(d.Cues)}
}

func (r DriversResponse) csvHeader() []string {
	return []string{"rank", "article_id", "tagger_version", "published_at", "title", "url", "source",
		"tension", "direction", "weight", "n_cues",
		"cue_text", "cue_category", "cue_actor", "cue_target", "cue_polarity", "cue_weight", "cue_hedged",
		"cue_negated", "cue_future", "cue_background", "cue_source", "cue_source_type", "cue_sentence",
		"cue_start_offset", "cue_end_offset", "lang", "unsupported", "published_at_source"}
}

// csvRows writes one row per cue, the article's columns repeated; an
// article without cues gets one row with empty cue columns.
func (r DriversResponse) csvRows() [][]string {
	var out [][]string
	for i, d := range r.Drivers {
		art := []string{strconv.Itoa(r.Offset + i + 1), d.ArticleID, text(d.TaggerVersion), stamp(d.PublishedAt), text(d.Title),
			text(d.URL), text(d.Source), num(d.Tension), d.Direction, num(d.Weight), uinteger(uint64(d.NCues))}
		if len(d.Cues) == 0 {
			row := append(append([]string(nil), art...), make([]string, 15)...)
			out = append(out, append(row, text(d.Lang), boolean(d.Unsupported), text(d.PublishedAtSource)))
			continue
		}
		for _, c := range d.Cues {
			row := append(append([]string(nil), art...),
				text(c.Text), text(c.Category), text(c.Actor), text(c.Target), integer(int64(c.Polarity)),
				num(c.Weight), boolean(c.Hedged), boolean(c.Negated), boolean(c.Future), boolean(c.Background),
				text(c.Source), text(c.SourceType), integer(int64(c.Sentence)),
				uinteger(uint64(c.StartOffset)), uinteger(uint64(c.EndOffset)), text(d.Lang), boolean(d.Unsupported), text(d.PublishedAtSource))
			out = append(out, row)
		}
	}
	return out
}

// ArticleResponse is the body of /v1/articles/{id}.
type ArticleResponse struct {
	ArticleID     string    `json:"article_id"`
	TaggerVersion string    `json:"tagger_version"`
	PublishedAt   time.Time `json:"published_at"`
	// PublishedAtSource: as in Driver.
	PublishedAtSource string    `json:"published_at_source,omitempty"`
	ReceivedAt        time.Time `json:"received_at"`
	EnrichedAt        time.Time `json:"enriched_at"`
	URL               string    `json:"url"`
	Source            string    `json:"source"`
	Title             string    `json:"title"`
	Text              string    `json:"text"`
	Lang              string    `json:"lang"`        // the language the article was read as ("" before it was recorded)
	Unsupported       bool      `json:"unsupported"` // no analyser for lang: empty tags mean "not read"
	Relevant          bool      `json:"relevant"`
	Countries         []string  `json:"countries"`
	Topics            []string  `json:"topics"`
	Pairs             []string  `json:"pairs"`
	Entities          []Entity  `json:"entities"`
	Dyads             []Dyad    `json:"dyads"`
}

// Entity is one entity mention.
type Entity struct {
	Text        string `json:"text"`
	Type        string `json:"type"`
	Canonical   string `json:"canonical"`
	Country     string `json:"country"`
	StartOffset uint32 `json:"start"`
	EndOffset   uint32 `json:"end"`
}

// Dyad is one pair's score in an article, with its cues.
type Dyad struct {
	Pair      string  `json:"pair"`
	Tension   float64 `json:"tension"`
	Direction string  `json:"direction"`
	Weight    float64 `json:"weight"`
	NCues     uint32  `json:"n_cues"`
	Cues      []Cue   `json:"cues"`
}

func newArticle(a *store.Article) ArticleResponse {
	r := ArticleResponse{ArticleID: a.ArticleID.String(), TaggerVersion: a.TaggerVersion,
		PublishedAt: a.PublishedAt.UTC(), PublishedAtSource: a.PublishedAtSource, ReceivedAt: a.ReceivedAt.UTC(), EnrichedAt: a.EnrichedAt.UTC(),
		URL: a.URL, Source: a.Source, Title: a.Title, Text: a.Text, Lang: a.Lang, Unsupported: a.Unsupported, Relevant: a.Relevant,
		Countries: nonNil(a.Countries), Topics: nonNil(a.Topics), Pairs: nonNil(a.Pairs),
		Entities: make([]Entity, len(a.Entities)), Dyads: make([]Dyad, len(a.Dyads))}
	for i, e := range a.Entities {
		r.Entities[i] = Entity{Text: e.Text, Type: e.Type, Canonical: e.Canonical, Country: e.Country,
			StartOffset: e.StartOffset, EndOffset: e.EndOffset}
	}
	for i, d := range a.Dyads {
		r.Dyads[i] = Dyad{Pair: d.Pair, Tension: d.Tension, Direction: d.Direction, Weight: d.Weight,
			NCues: d.NCues, Cues: newCues(d.Cues)}
	}
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// PairsResponse is the body of /v1/pairs.
type PairsResponse struct {
	TaggerVersion string `json:"tagger_version"`
	Pairs         []Pair `json:"pairs"`
}

// Pair is one pair present in the day rollups.
type Pair struct {
	Pair         string    `json:"pair"`
	DyadArticles int64     `json:"dyad_articles"`
	First        time.Time `json:"first"`
	Last         time.Time `json:"last"`
}

func (r PairsResponse) csvHeader() []string {
	return []string{"pair", "dyad_articles", "first", "last"}
}

func (r PairsResponse) csvRows() [][]string {
	out := make([][]string, len(r.Pairs))
	for i, p := range r.Pairs {
		out[i] = []string{p.Pair, integer(p.DyadArticles), stamp(p.First), stamp(p.Last)}
	}
	return out
}

// page returns the next page's offset, or nil when got rows were the last:
// the store is asked for limit+1 rows, and the extra one means more.
func page[T any](rows []T, limit, offset int) ([]T, *int) {
	if len(rows) > limit {
		next := offset + limit
		return rows[:limit], &next
	}
	return rows, nil
}

// EntitiesResponse is the body of /v1/entities/top.
type EntitiesResponse struct {
	Pair          string        `json:"pair"` // "" when every article counts
	From          time.Time     `json:"from"`
	To            time.Time     `json:"to"`
	TaggerVersion string        `json:"tagger_version"`
	Lang          string        `json:"lang"` // the lang filter; "" is every language
	Limit         int           `json:"limit"`
	Offset        int           `json:"offset"`
	NextOffset    *int          `json:"next_offset"`
	Entities      []EntityCount `json:"entities"`
}

// EntityCount is one entity and the articles that mention it.
type EntityCount struct {
	Canonical string `json:"canonical"`
	Type      string `json:"type"`
	Country   string `json:"country"`
	Articles  uint64 `json:"articles"`
	Mentions  uint64 `json:"mentions"`
}

func (r EntitiesResponse) csvHeader() []string {
	return []string{"rank", "canonical", "type", "country", "articles", "mentions"}
}

func (r EntitiesResponse) csvRows() [][]string {
	out := make([][]string, len(r.Entities))
	for i, e := range r.Entities {
		out[i] = []string{strconv.Itoa(r.Offset + i + 1), text(e.Canonical), e.Type, text(e.Country),
			uinteger(e.Articles), uinteger(e.Mentions)}
	}
	return out
}

// CuesResponse is the body of /v1/cues/top.
type CuesResponse struct {
	Pair          string     `json:"pair"`
	From          time.Time  `json:"from"`
	To            time.Time  `json:"to"`
	TaggerVersion string     `json:"tagger_version"`
	Lang          string     `json:"lang"` // the lang filter; "" is every language
	Limit         int        `json:"limit"`
	Offset        int        `json:"offset"`
	NextOffset    *int       `json:"next_offset"`
	Cues          []CueCount `json:"cues"`
}

// CueCount is one cue phrase, with actor and target, over the range.
type CueCount struct {
	Text        string  `json:"text"`
	Category    string  `json:"category"`
	Polarity    int8    `json:"polarity"`
	Actor       string  `json:"actor"`
	Target      string  `json:"target"`
	Count       uint64  `json:"count"`
	Articles    uint64  `json:"articles"`
	TotalWeight float64 `json:"total_weight"`
	MaxWeight   float64 `json:"max_weight"`
}

func (r CuesResponse) csvHeader() []string {
	return []string{"rank", "text", "category", "polarity", "actor", "target", "count", "articles", "total_weight", "max_weight"}
}

func (r CuesResponse) csvRows() [][]string {
	out := make([][]string, len(r.Cues))
	for i, c := range r.Cues {
		out[i] = []string{strconv.Itoa(r.Offset + i + 1), text(c.Text), text(c.Category), integer(int64(c.Polarity)),
			text(c.Actor), text(c.Target), uinteger(c.Count), uinteger(c.Articles), num(c.TotalWeight), num(c.MaxWeight)}
	}
	return out
}
