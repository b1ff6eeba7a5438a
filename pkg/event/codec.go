package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/tension-dev/tension/pkg/jsonwire"
)

// The enriched record's JSON without reflection (issue 12: encoding/json
// was a quarter of the sink's CPU). marshalEnriched writes the bytes
// json.Marshal writes, and decodeEnrichedJSON decodes what json.Unmarshal
// decodes: the shape the enricher writes on a fast path, anything else
// (unknown keys in another case, invalid UTF-8, null in a field, bad
// syntax) with encoding/json itself, so what is accepted, and the error
// for what is not, do not change. codec_test.go compares both with
// encoding/json (goldens, fuzzing).

// marshalEnriched is json.Marshal(e). It encodes into a pooled buffer and
// returns a copy of exactly the record's length: the record is held until
// Kafka acknowledges it, so it should not carry spare capacity.
func marshalEnriched(e *Enriched) ([]byte, error) {
	buf := encodeBuffers.Get().(*[]byte)
	defer encodeBuffers.Put(buf)
	b, err := appendEnriched((*buf)[:0], e)
	if err != nil {
		return nil, err
	}
	if cap(b) <= maxPooledBuffer {
		*buf = b
	}
	return bytes.Clone(b), nil
}

// marshalArticle is json.Marshal(a) for the raw record ingest and backfill
// publish (and the enricher reads), without reflection; the buffer is sized
// for the strings, so it is the one allocation.
func marshalArticle(a *Article) ([]byte, error) {
	n := len(`{"article_id":"","id":"","url":"","source":"","title":"","text":"","lang":"",`+
		`"published_at":"","published_at_source":"","received_at":""}`) + 2*len(time.RFC3339Nano)
	n += len(a.ArticleID) + len(a.ID) + len(a.URL) + len(a.Source) + len(a.Title) + len(a.Text) + len(a.Lang) + len(a.PublishedAtSource)
	b := make([]byte, 0, n+n/16) // room for some escapes
	b = append(b, `{"article_id":`...)
	b = jsonwire.AppendString(b, a.ArticleID, true)
	b = appendOptString(b, `,"id":`, a.ID, true)
	b = appendOptString(b, `,"url":`, a.URL, true)
	b = appendOptString(b, `,"source":`, a.Source, true)
	b = appendOptString(b, `,"title":`, a.Title, true)
	b = append(b, `,"text":`...)
	b = jsonwire.AppendString(b, a.Text, true)
	b = appendOptString(b, `,"lang":`, a.Lang, true)
	b = append(b, `,"published_at":`...)
	var err error
	if b, err = jsonwire.AppendTime(b, a.PublishedAt); err != nil {
		return nil, fmt.Errorf("published_at: %w", err)
	}
	b = appendOptString(b, `,"published_at_source":`, a.PublishedAtSource, true)
	b = append(b, `,"received_at":`...)
	if b, err = jsonwire.AppendTime(b, a.ReceivedAt); err != nil {
		return nil, fmt.Errorf("received_at: %w", err)
	}
	return append(b, '}'), nil
}

// maxPooledBuffer is the largest buffer kept for the next record: a record
// is at most MaxRecordBytes, and a rare larger encoding (before its tags
// are cut) is not kept.
const maxPooledBuffer = 2 * MaxRecordBytes

var encodeBuffers = sync.Pool{New: func() any { return new([]byte) }}

func appendEnriched(b []byte, e *Enriched) ([]byte, error) {
	var err error
	b = append(b, `{"article_id":`...)
	b = jsonwire.AppendString(b, e.ArticleID, true)
	b = append(b, `,"event_id":`...)
	b = jsonwire.AppendString(b, e.EventID, true)
	b = appendOptString(b, `,"url":`, e.URL, true)
	b = appendOptString(b, `,"source":`, e.Source, true)
	b = appendOptString(b, `,"title":`, e.Title, true)
	b = append(b, `,"text":`...)
	b = jsonwire.AppendString(b, e.Text, true)
	b = append(b, `,"published_at":`...)
	if b, err = jsonwire.AppendTime(b, e.PublishedAt); err != nil {
		return nil, fmt.Errorf("published_at: %w", err)
	}
	b = append(b, `,"received_at":`...)
	if b, err = jsonwire.AppendTime(b, e.ReceivedAt); err != nil {
		return nil, fmt.Errorf("received_at: %w", err)
	}
	b = append(b, `,"enriched_at":`...)
	if b, err = jsonwire.AppendTime(b, e.EnrichedAt); err != nil {
		return nil, fmt.Errorf("enriched_at: %w", err)
	}
	b = append(b, `,"tagger_version":`...)
	b = jsonwire.AppendString(b, e.TaggerVersion, true)
	b = appendOptString(b, `,"published_at_source":`, e.PublishedAtSource, true)
	b = append(b, ',')
	if b, err = AppendTagsJSON(b, &e.Tags, true); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// AppendTagsJSON appends the members of t as encoding/json writes them in
// a struct that embeds Tags (`"relevant":…,"countries":…`, no braces),
// with <, > and & escaped when escapeHTML (json.Marshal's default).
func AppendTagsJSON(b []byte, t *Tags, escapeHTML bool) ([]byte, error) {
	var err error
	b = append(b, `"relevant":`...)
	b = jsonwire.AppendBool(b, t.Relevant)
	b = append(b, `,"countries":`...)
	b = jsonwire.AppendStrings(b, t.Countries, escapeHTML)
	b = append(b, `,"entities":`...)
	if t.Entities == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range t.Entities {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendEntity(b, &t.Entities[i], escapeHTML)
		}
		b = append(b, ']')
	}
	b = append(b, `,"topics":`...)
	b = jsonwire.AppendStrings(b, t.Topics, escapeHTML)
	b = append(b, `,"dyads":`...)
	if t.Dyads == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range t.Dyads {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendDyad(b, &t.Dyads[i], escapeHTML); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	if t.Cut != nil {
		b = append(b, `,"cut":`...)
		b = appendCut(b, t.Cut)
	}
	b = appendOptString(b, `,"lang":`, t.Lang, escapeHTML)
	if t.Unsupported {
		b = append(b, `,"unsupported":true`...)
	}
	return b, nil
}

func appendOptString(b []byte, name, s string, escapeHTML bool) []byte {
	if s == "" {
		return b
	}
	b = append(b, name...)
	return jsonwire.AppendString(b, s, escapeHTML)
}

func appendEntity(b []byte, en *Entity, escapeHTML bool) []byte {
	b = append(b, `{"text":`...)
	b = jsonwire.AppendString(b, en.Text, escapeHTML)
	b = append(b, `,"type":`...)
	b = jsonwire.AppendString(b, en.Type, escapeHTML)
	b = append(b, `,"canonical":`...)
	b = jsonwire.AppendString(b, en.Canonical, escapeHTML)
	b = append(b, `,"country":`...)
	b = jsonwire.AppendString(b, en.Country, escapeHTML)
	b = append(b, `,"start":`...)
	b = jsonwire.AppendInt(b, en.Start)
	b = append(b, `,"end":`...)
	b = jsonwire.AppendInt(b, en.End)
	return append(b, '}')
}

func appendCue(b []byte, c *Cue, escapeHTML bool) ([]byte, error) {
	var err error
	b = append(b, `{"text":`...)
	b = jsonwire.AppendString(b, c.Text, escapeHTML)
	b = appendOptString(b, `,"category":`, c.Category, escapeHTML)
	b = append(b, `,"sentence":`...)
	b = jsonwire.AppendInt(b, c.Sentence)
	b = append(b, `,"start":`...)
	b = jsonwire.AppendInt(b, c.Start)
	b = append(b, `,"end":`...)
	b = jsonwire.AppendInt(b, c.End)
	b = append(b, `,"actor":`...)
	b = jsonwire.AppendString(b, c.Actor, escapeHTML)
	b = append(b, `,"target":`...)
	b = jsonwire.AppendString(b, c.Target, escapeHTML)
	b = append(b, `,"polarity":`...)
	b = jsonwire.AppendInt(b, c.Polarity)
	b = append(b, `,"weight":`...)
	if b, err = jsonwire.AppendFloat(b, c.Weight); err != nil {
		return nil, fmt.Errorf("cue weight: %w", err)
	}
	b = append(b, `,"hedged":`...)
	b = jsonwire.AppendBool(b, c.Hedged)
	b = append(b, `,"negated":`...)
	b = jsonwire.AppendBool(b, c.Negated)
	if c.Future {
		b = append(b, `,"future":true`...)
	}
	if c.Background {
		b = append(b, `,"background":true`...)
	}
	b = appendOptString(b, `,"source":`, c.Source, escapeHTML)
	b = append(b, `,"source_type":`...)
	b = jsonwire.AppendString(b, c.SourceType, escapeHTML)
	return append(b, '}'), nil
}

func appendDyad(b []byte, d *Dyad, escapeHTML bool) ([]byte, error) {
	var err error
	b = append(b, `{"pair":`...)
	b = jsonwire.AppendString(b, d.Pair, escapeHTML)
	b = append(b, `,"tension":`...)
	if b, err = jsonwire.AppendFloat(b, d.Tension); err != nil {
		return nil, fmt.Errorf("tension: %w", err)
	}
	b = append(b, `,"direction":`...)
	b = jsonwire.AppendString(b, d.Direction, escapeHTML)
	b = append(b, `,"cues":`...)
	if d.Cues == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range d.Cues {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendCue(b, &d.Cues[i], escapeHTML); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	if d.CueCount != 0 {
		b = append(b, `,"cue_count":`...)
		b = jsonwire.AppendInt(b, d.CueCount)
	}
	if d.CueWeight != 0 {
		b = append(b, `,"cue_weight":`...)
		if b, err = jsonwire.AppendFloat(b, d.CueWeight); err != nil {
			return nil, fmt.Errorf("cue_weight: %w", err)
		}
	}
	return append(b, '}'), nil
}

func appendCut(b []byte, c *Cut) []byte {
	b = append(b, `{"entities":`...)
	b = jsonwire.AppendInt(b, c.Entities)
	b = append(b, `,"cues":`...)
	b = jsonwire.AppendInt(b, c.Cues)
	b = append(b, `,"dyads":`...)
	b = jsonwire.AppendInt(b, c.Dyads)
	return append(b, '}')
}

// decodeEnrichedJSON is json.Unmarshal(data, &e) with the same result
// and error: the fast path when it takes the input, encoding/json when
// it gives up.
func decodeEnrichedJSON(data []byte) (Enriched, error) {
	var e Enriched
	if readEnriched(jsonwire.NewReader(data), &e) {
		return e, nil
	}
	e = Enriched{}
	err := json.Unmarshal(data, &e)
	return e, err
}

// Member sets of each object: a bit per known key, to find duplicates
// (left to encoding/json: the last one wins, merged into what the first
// set).
const (
	fieldMaskArticleID = 1 << iota
	fieldMaskEventID
	fieldMaskURL
	fieldMaskSource
	fieldMaskTitle
	fieldMaskText
	fieldMaskPublishedAt
	fieldMaskReceivedAt
	fieldMaskEnrichedAt
	fieldMaskTaggerVersion
	fieldMaskPublishedAtSource
	fieldMaskRelevant
	fieldMaskCountries
	fieldMaskEntities
	fieldMaskTopics
	fieldMaskDyads
	fieldMaskCut
	fieldMaskLang
	fieldMaskUnsupported
)

// readEnriched reads the document into e, reporting whether the fast path
// took it.
func readEnriched(r *jsonwire.Reader, e *Enriched) bool {
	seen := 0
	once := func(bit int) bool {
		if seen&bit != 0 {
			r.Fail()
			return false
		}
		seen |= bit
		return true
	}
	r.Object(func(key []byte) {
		switch string(key) {
		case "article_id":
			if once(fieldMaskArticleID) {
				e.ArticleID = r.String()
			}
		case "event_id":
			if once(fieldMaskEventID) {
				e.EventID = r.String()
			}
		case "url":
			if once(fieldMaskURL) {
				e.URL = r.String()
			}
		case "source":
			if once(fieldMaskSource) {
				e.Source = r.String()
			}
		case "title":
			if once(fieldMaskTitle) {
				e.Title = r.String()
			}
		case "text":
			if once(fieldMaskText) {
				e.Text = r.String()
			}
		case "published_at":
			if once(fieldMaskPublishedAt) {
				e.PublishedAt = r.Time()
			}
		case "received_at":
			if once(fieldMaskReceivedAt) {
				e.ReceivedAt = r.Time()
			}
		case "enriched_at":
			if once(fieldMaskEnrichedAt) {
				e.EnrichedAt = r.Time()
			}
		case "tagger_version":
			if once(fieldMaskTaggerVersion) {
				e.TaggerVersion = r.String()
			}
		case "published_at_source":
			if once(fieldMaskPublishedAtSource) {
				e.PublishedAtSource = r.String()
			}
		case "relevant":
			if once(fieldMaskRelevant) {
				e.Relevant = r.Bool()
			}
		case "countries":
			if once(fieldMaskCountries) {
				e.Countries = readStrings(r)
			}
		case "entities":
			if once(fieldMaskEntities) {
				e.Entities = readEntities(r)
			}
		case "topics":
			if once(fieldMaskTopics) {
				e.Topics = readStrings(r)
			}
		case "dyads":
			if once(fieldMaskDyads) {
				e.Dyads = readDyads(r)
			}
		case "cut":
			if once(fieldMaskCut) && !r.IsNull() {
				e.Cut = readCut(r)
			}
		case "lang":
			if once(fieldMaskLang) {
				e.Lang = r.String()
			}
		case "unsupported":
			if once(fieldMaskUnsupported) {
				e.Unsupported = r.Bool()
			}
		default:
			skipUnknown(r, key, enrichedKeys)
		}
	})
	r.End()
	return !r.Failed()
}

// enrichedKeys are the members of an enriched record, for skipUnknown.
var enrichedKeys = []string{"article_id", "event_id", "url", "source", "title", "text", "published_at",
	"received_at", "enriched_at", "tagger_version", "published_at_source", "relevant", "countries",
	"entities", "topics", "dyads", "cut", "lang", "unsupported"}

var (
	entityKeys = []string{"text", "type", "canonical", "country", "start", "end"}
	cueKeys    = []string{"text", "category", "sentence", "start", "end", "actor", "target", "polarity",
		"weight", "hedged", "negated", "future", "background", "source", "source_type"}
	dyadKeys = []string{"pair", "tension", "direction", "cues", "cue_count", "cue_weight"}
	cutKeys  = []string{"entities", "cues", "dyads"}
)

// skipUnknown skips the value of a member the record does not have, as
// encoding/json ignores it — unless the key matches a known one in another
// case, which encoding/json would take: the fast path gives up on those.
func skipUnknown(r *jsonwire.Reader, key []byte, known []string) {
	for _, k := range known {
		if len(k) == len(key) && asciiEqualFold(k, key) {
			r.Fail()
			return
		}
	}
	r.Skip()
}

func asciiEqualFold(s string, b []byte) bool {
	for i := 0; i < len(s); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// readStrings reads a []string: nil for null, empty (not nil) for [].
func readStrings(r *jsonwire.Reader) []string {
	if r.IsNull() {
		return nil
	}
	// Read into a buffer on the stack, then copy: one allocation per list.
	var buf [16]string
	list := buf[:0]
	r.Array(func() { list = append(list, r.String()) })
	return append([]string{}, list...)
}

func readEntities(r *jsonwire.Reader) []Entity {
	if r.IsNull() {
		return nil
	}
	// Read into a buffer on the stack, then copy: one allocation per list.
	var buf [16]Entity
	list := buf[:0]
	r.Array(func() {
		var en Entity
		seen := 0
		r.Object(func(key []byte) {
			bit := 0
			switch string(key) {
			case "text":
				bit, en.Text = 1, r.String()
			case "type":
				bit, en.Type = 2, r.String()
			case "canonical":
				bit, en.Canonical = 4, r.String()
			case "country":
				bit, en.Country = 8, r.String()
			case "start":
				bit, en.Start = 16, r.Int()
			case "end":
				bit, en.End = 32, r.Int()
			default:
				skipUnknown(r, key, entityKeys)
			}
			if seen&bit != 0 {
				r.Fail()
			}
			seen |= bit
		})
		list = append(list, en)
	})
	return append([]Entity{}, list...)
}

func readDyads(r *jsonwire.Reader) []Dyad {
	if r.IsNull() {
		return nil
	}
	// Read into a buffer on the stack, then copy: one allocation per list.
	var buf [4]Dyad
	list := buf[:0]
	r.Array(func() {
		var d Dyad
		seen := 0
		r.Object(func(key []byte) {
			bit := 0
			switch string(key) {
			case "pair":
				bit, d.Pair = 1, r.String()
			case "tension":
				bit, d.Tension = 2, r.Float()
			case "direction":
				bit, d.Direction = 4, r.String()
			case "cues":
				bit, d.Cues = 8, readCues(r)
			case "cue_count":
				bit, d.CueCount = 16, r.Int()
			case "cue_weight":
				bit, d.CueWeight = 32, r.Float()
			default:
				skipUnknown(r, key, dyadKeys)
			}
			if seen&bit != 0 {
				r.Fail()
			}
			seen |= bit
		})
		list = append(list, d)
	})
	return append([]Dyad{}, list...)
}

func readCues(r *jsonwire.Reader) []Cue {
	if r.IsNull() {
		return nil
	}
	// Read into a buffer on the stack, then copy: one allocation per list.
	var buf [16]Cue
	list := buf[:0]
	r.Array(func() {
		var c Cue
		seen := 0
		r.Object(func(key []byte) {
			bit := 0
			switch string(key) {
			case "text":
				bit, c.Text = 1<<0, r.String()
			case "category":
				bit, c.Category = 1<<1, r.String()
			case "sentence":
				bit, c.Sentence = 1<<2, r.Int()
			case "start":
				bit, c.Start = 1<<3, r.Int()
			case "end":
				bit, c.End = 1<<4, r.Int()
			case "actor":
				bit, c.Actor = 1<<5, r.String()
			case "target":
				bit, c.Target = 1<<6, r.String()
			case "polarity":
				bit, c.Polarity = 1<<7, r.Int()
			case "weight":
				bit, c.Weight = 1<<8, r.Float()
			case "hedged":
				bit, c.Hedged = 1<<9, r.Bool()
			case "negated":
				bit, c.Negated = 1<<10, r.Bool()
			case "future":
				bit, c.Future = 1<<11, r.Bool()
			case "background":
				bit, c.Background = 1<<12, r.Bool()
			case "source":
				bit, c.Source = 1<<13, r.String()
			case "source_type":
				bit, c.SourceType = 1<<14, r.String()
			default:
				skipUnknown(r, key, cueKeys)
			}
			if seen&bit != 0 {
				r.Fail()
			}
			seen |= bit
		})
		list = append(list, c)
	})
	return append([]Cue{}, list...)
}

func readCut(r *jsonwire.Reader) *Cut {
	var c Cut
	seen := 0
	r.Object(func(key []byte) {
		bit := 0
		switch string(key) {
		case "entities":
			bit, c.Entities = 1, r.Int()
		case "cues":
			bit, c.Cues = 2, r.Int()
		case "dyads":
			bit, c.Dyads = 4, r.Int()
		default:
			skipUnknown(r, key, cutKeys)
		}
		if seen&bit != 0 {
			r.Fail()
		}
		seen |= bit
	})
	return &c
}
