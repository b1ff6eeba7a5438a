package sink

import (
	"github.com/tension-dev/tension/pkg/event"
)

// ErrInvalidEnriched marks a message that will never be written: it goes to
// the DLQ instead of blocking the partition (event.ErrInvalidEnriched).
var ErrInvalidEnriched = event.ErrInvalidEnriched

// ValidateEnriched checks what the sink relies on: the contract's rule
// (event.ValidateEnriched), the same the enricher builds its records to.
func ValidateEnriched(e *event.Enriched) error { return event.ValidateEnriched(e) }

// decodeEnriched decodes and validates one enriched message.
func decodeEnriched(data []byte) (*event.Enriched, error) { return event.DecodeEnriched(data) }
