package event

import (
	"errors"
	"fmt"
	"time"
)

// The event-time window (README "Contracts"). An article is counted under
// its published_at, which must lie in [MinEventTime, received_at + MaxAhead]:
// the raw tables store times as ClickHouse DateTime (seconds from 1970), and
// an article dated further ahead than a day of time-zone slack is a mistake
// that would otherwise sit in the index's future buckets. Nothing outside
// the window is rewritten: it is refused with the reason (400 at ingest,
// the DLQ later), never counted at another time.
var (
	MinEventTime = time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)
	// EndOfTime bounds received_at and enriched_at: DateTime ends on
	// 2106-02-07.
	EndOfTime = time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC)
)

// MaxAhead is how far after its receipt an article may be dated.
const MaxAhead = 24 * time.Hour

const windowDoc = "1971-01-01 to one day after receipt"

// publishedProblem returns why t cannot be the published_at of an article
// received at ref, or "".
func publishedProblem(t, ref time.Time) string {
	if t.Before(MinEventTime) {
		return fmt.Sprintf("%s is before 1971-01-01: the index counts articles dated %s", t.Format(time.RFC3339), windowDoc)
	}
	if limit := ref.Add(MaxAhead); t.After(limit) {
		return fmt.Sprintf("%s is more than one day after the article was received (%s): the index counts articles dated %s",
			t.Format(time.RFC3339), ref.UTC().Format(time.RFC3339), windowDoc)
	}
	return ""
}

// stampProblem returns why t cannot be a time the pipeline stamps itself
// (received_at, enriched_at), or "".
func stampProblem(t time.Time) string {
	if t.Before(MinEventTime) || !t.Before(EndOfTime) {
		return fmt.Sprintf("%s is outside what the raw tables store (1971-01-01 to 2106-01-01)", t.Format(time.RFC3339))
	}
	return ""
}

// ParseTime reads a time as the command-line tools take it (-from, -to,
// -index-base-from): RFC 3339, or a YYYY-MM-DD date at 00:00 UTC.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("required")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
	}
	return t, nil
}

// CheckPublishedAt returns why t cannot be the published_at of an article
// received at receivedAt (the window above, as DecodeArticle checks it), or
// nil. A source follower that has several dates for one article (the
// feed's, the page's) takes the first one this admits.
func CheckPublishedAt(t, receivedAt time.Time) error {
	if reason := publishedProblem(t.UTC(), receivedAt.Truncate(time.Second)); reason != "" {
		return &ValidationError{Problems: []Problem{{Field: "/published_at", Reason: reason}}}
	}
	return nil
}
