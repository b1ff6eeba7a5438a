package event

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/google/uuid"
)

// ErrInvalidEnriched marks an enriched message that will never be written:
// it goes to the DLQ instead of blocking the partition.
var ErrInvalidEnriched = errors.New("invalid enriched article")

// PairPattern is the shape of a dyad: two country codes joined by "-" (a
// valid pair also has them sorted). The query API checks its pair
// parameter with it.
var PairPattern = regexp.MustCompile(`^[A-Z]{2}-[A-Z]{2}$`)

// Enrich builds the enriched record of a decoded topic article: the article
// with its tags, a new event id (UUIDv7), enriched at `at`, keyed by
// article_id. It is the one constructor the enricher and reprocessing share.
// Tags that would take the record over MaxRecordBytes are cut (FitTags;
// Tags.Cut says what was left out), and the result is checked as the sink
// checks it (ValidateEnriched), so what Enrich returns the sink accepts.
// Errors are permanent: ErrTooLarge when the article alone leaves no room,
// ErrInvalidEnriched when the tags break the contract.
func Enrich(a *Article, tags Tags, taggerVersion string, at time.Time) (*Enriched, Record, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, Record{}, fmt.Errorf("event id: %w", err)
	}
	e := &Enriched{
		ArticleID: a.ArticleID, EventID: id.String(), URL: a.URL, Source: a.Source, Title: a.Title,
		Text: a.Text, PublishedAt: a.EventTime().UTC(), PublishedAtSource: a.PublishedAtSource,
		ReceivedAt: a.ReceivedAt.UTC(), EnrichedAt: at.UTC(),
		TaggerVersion: taggerVersion, Tags: tags,
	}
	if err := ValidateEnriched(e); err != nil {
		return nil, Record{}, err
	}
	key := []byte(e.ArticleID)
	value, err := FitTags(e, key, MaxRecordBytes)
	if err != nil {
		return nil, Record{}, err
	}
	return e, Record{Key: key, Value: value}, nil
}

// DecodeEnriched decodes and validates one message of articles.enriched.v1.
// The error matches ErrInvalidEnriched.
func DecodeEnriched(data []byte) (*Enriched, error) {
	e, err := decodeEnrichedJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEnriched, err)
	}
	if err := ValidateEnriched(&e); err != nil {
		return nil, err
	}
	return &e, nil
}

// ValidateEnriched checks what the sink relies on (schemas/enriched.v1.json)
// and the event-time window: published_at (else received_at) from
// 1971-01-01 to one day after receipt, and stamps the raw tables can store.
func ValidateEnriched(e *Enriched) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidEnriched, fmt.Sprintf(format, args...))
	}
	if _, err := uuid.Parse(e.ArticleID); err != nil {
		return bad("article_id %q is not a UUID", e.ArticleID)
	}
	if _, err := TaggerPrecedence(e.TaggerVersion); err != nil {
		return bad("%v", err)
	}
	if err := validateTimes(e); err != "" {
		return bad("%s", err)
	}
	for _, en := range e.Entities {
		switch en.Type {
		case EntityPerson, EntityGov, EntityOrg, EntityMedia:
		default:
			return bad("entity %q has unknown type %q", en.Text, en.Type)
		}
		if en.Start < 0 || en.End < en.Start {
			return bad("entity %q has offsets %d-%d", en.Text, en.Start, en.End)
		}
	}
	var seen map[string]bool // for many dyads; a few are compared with those before them
	for i := range e.Dyads {
		d := &e.Dyads[i]
		if !isPair(d.Pair) || d.Pair[:2] >= d.Pair[3:] {
			return bad("pair %q is not two sorted country codes", d.Pair)
		}
		if pairSeen(e.Dyads[:i], d.Pair, &seen) {
			return bad("pair %q appears twice", d.Pair)
		}
		if math.IsNaN(d.Tension) || d.Tension < -1 || d.Tension > 1 {
			return bad("tension %v of %s is outside [-1, 1]", d.Tension, d.Pair)
		}
		switch d.Direction {
		case DirectionEscalation, DirectionDeescalation, DirectionNeutral, DirectionMixed:
		default:
			return bad("direction %q of %s is unknown", d.Direction, d.Pair)
		}
		if d.CueCount < 0 || (d.CueCount > 0 && d.CueCount < len(d.Cues)) ||
			math.IsNaN(d.CueWeight) || math.IsInf(d.CueWeight, 0) || d.CueWeight < 0 {
			return bad("dyad %s has cue_count %d for %d cues, cue_weight %v", d.Pair, d.CueCount, len(d.Cues), d.CueWeight)
		}
		for _, c := range d.Cues {
			if math.IsNaN(c.Weight) || math.IsInf(c.Weight, 0) || c.Weight < 0 {
				return bad("cue %q has weight %v", c.Text, c.Weight)
			}
			if c.Polarity < -1 || c.Polarity > 1 || c.Sentence < -1 || c.Sentence > math.MaxInt16 || c.Start < 0 || c.End < c.Start {
				return bad("cue %q has polarity %d, sentence %d, offsets %d-%d", c.Text, c.Polarity, c.Sentence, c.Start, c.End)
			}
		}
	}
	if c := e.Cut; c != nil && (c.Entities < 0 || c.Cues < 0 || c.Dyads < 0) {
		return bad("cut %+v has negative counts", *c)
	}
	return nil
}

// isPair is PairPattern.MatchString(s) without the regexp machinery: the
// enricher and the sink check every dyad of every record.
func isPair(s string) bool {
	return len(s) == 5 && isUpper(s[0]) && isUpper(s[1]) && s[2] == '-' && isUpper(s[3]) && isUpper(s[4])
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// pairSeen reports whether pair is the pair of one of before (the dyads
// checked so far): by comparing while they are few, then by a set made
// once (*seen), so a record of many dyads costs linear time.
func pairSeen(before []Dyad, pair string, seen *map[string]bool) bool {
	const few = 16
	if len(before) < few {
		for i := range before {
			if before[i].Pair == pair {
				return true
			}
		}
		return false
	}
	if *seen == nil {
		*seen = make(map[string]bool, 2*few)
		for i := range before {
			(*seen)[before[i].Pair] = true
		}
	}
	if (*seen)[pair] {
		return true
	}
	(*seen)[pair] = true
	return false
}

// validateTimes checks the event time against the window and the stamps
// against what the raw tables store; it returns the problem or "".
func validateTimes(e *Enriched) string {
	if e.PublishedAt.IsZero() && e.ReceivedAt.IsZero() {
		return "neither published_at nor received_at is set"
	}
	for _, s := range []struct {
		name string
		t    time.Time
	}{{"received_at", e.ReceivedAt}, {"enriched_at", e.EnrichedAt}} {
		if !s.t.IsZero() {
			if p := stampProblem(s.t); p != "" {
				return s.name + " " + p
			}
		}
	}
	if e.PublishedAt.IsZero() {
		return "" // counted at received_at, checked above
	}
	ref := e.ReceivedAt
	switch {
	case ref.IsZero() && !e.EnrichedAt.IsZero():
		ref = e.EnrichedAt
	case ref.IsZero():
		ref = EndOfTime.Add(-MaxAhead)
	}
	if p := publishedProblem(e.PublishedAt, ref); p != "" {
		return "published_at " + p
	}
	return ""
}
