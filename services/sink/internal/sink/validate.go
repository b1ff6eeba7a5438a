package sink

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/tension-dev/tension/pkg/event"
)

// ErrInvalidEnriched marks a message that will never be written: it goes to
// the DLQ instead of blocking the partition.
var ErrInvalidEnriched = errors.New("invalid enriched article")

var pairPattern = regexp.MustCompile(`^[A-Z]{2}-[A-Z]{2}$`)

// ValidateEnriched checks what the sink relies on (schemas/enriched.v1.json).
func ValidateEnriched(e *event.Enriched) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidEnriched, fmt.Sprintf(format, args...))
	}
	if _, err := uuid.Parse(e.ArticleID); err != nil {
		return bad("article_id %q is not a UUID", e.ArticleID)
	}
	if e.TaggerVersion == "" {
		return bad("tagger_version is empty")
	}
	if e.PublishedAt.IsZero() && e.ReceivedAt.IsZero() {
		return bad("neither published_at nor received_at is set")
	}
	for name, ts := range map[string]time.Time{"published_at": e.PublishedAt, "received_at": e.ReceivedAt} {
		if y := ts.Year(); !ts.IsZero() && (y < 1971 || y > 2105) {
			return bad("%s %s is outside what DateTime stores (1971-2105)", name, ts)
		}
	}
	for _, en := range e.Entities {
		switch en.Type {
		case event.EntityPerson, event.EntityGov, event.EntityOrg, event.EntityMedia:
		default:
			return bad("entity %q has unknown type %q", en.Text, en.Type)
		}
		if en.Start < 0 || en.End < en.Start {
			return bad("entity %q has offsets %d-%d", en.Text, en.Start, en.End)
		}
	}
	seen := map[string]bool{}
	for _, d := range e.Dyads {
		if !pairPattern.MatchString(d.Pair) || d.Pair[:2] >= d.Pair[3:] {
			return bad("pair %q is not two sorted country codes", d.Pair)
		}
		if seen[d.Pair] {
			return bad("pair %q appears twice", d.Pair)
		}
		seen[d.Pair] = true
		if math.IsNaN(d.Tension) || d.Tension < -1 || d.Tension > 1 {
			return bad("tension %v of %s is outside [-1, 1]", d.Tension, d.Pair)
		}
		switch d.Direction {
		case event.DirectionEscalation, event.DirectionDeescalation, event.DirectionNeutral, event.DirectionMixed:
		default:
			return bad("direction %q of %s is unknown", d.Direction, d.Pair)
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
	return nil
}
