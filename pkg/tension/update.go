package tension

import (
	"fmt"
	"strings"
	"time"
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
