// Package tension is the index math of docs/design.md §4: the additive parts stored
// per pair and bucket, the ratios derived from them, and bucketing. Parts add
// up exactly, so every ratio is exact at any granularity and under late data
// and backfill; nothing here stores a ratio.
package tension

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/tension-dev/tension/pkg/event"
)

// AllPair is the pseudo-pair whose parts count every article in a bucket,
// on a dyad or not: the denominator of TensionShare.
const AllPair = "*"

// Granularity is a bucket width.
type Granularity string

const (
	Minute Granularity = "minute"
	Hour   Granularity = "hour"
	Day    Granularity = "day"
)

// Granularities lists the widths every article is rolled up into.
var Granularities = [...]Granularity{Minute, Hour, Day}

// ErrGranularity is returned for an unknown interval name.
var ErrGranularity = errors.New("unknown interval: want minute, hour or day")

// ParseGranularity accepts "minute", "hour" or "day".
func ParseGranularity(s string) (Granularity, error) {
	switch g := Granularity(s); g {
	case Minute, Hour, Day:
		return g, nil
	}
	return "", fmt.Errorf("%w (got %q)", ErrGranularity, s)
}

// Duration is the bucket width.
func (g Granularity) Duration() time.Duration {
	switch g {
	case Minute:
		return time.Minute
	case Hour:
		return time.Hour
	default:
		return 24 * time.Hour
	}
}

// Truncate returns the start of t's bucket, in UTC.
func (g Granularity) Truncate(t time.Time) time.Time {
	return t.UTC().Truncate(g.Duration())
}

// Parts are the additive parts of one bucket of one pair.
type Parts struct {
	Articles     int64   `json:"articles"`      // all articles (pair "*") — or 0 on a dyad's own row
	DyadArticles int64   `json:"dyad_articles"` // articles on the dyad
	Escalating   int64   `json:"escalating"`    // dyad articles whose direction is escalation
	Deescalating int64   `json:"deescalating"`  // dyad articles whose direction is de-escalation
	Mixed        int64   `json:"mixed"`         // dyad articles with strong cues both ways
	SumScore     float64 `json:"sum_score"`     // sum of dyad tension scores
	SumWeight    float64 `json:"sum_weight"`    // sum of effective cue weights
}

// Add adds o to p.
func (p *Parts) Add(o Parts) {
	p.Articles += o.Articles
	p.DyadArticles += o.DyadArticles
	p.Escalating += o.Escalating
	p.Deescalating += o.Deescalating
	p.Mixed += o.Mixed
	p.SumScore += o.SumScore
	p.SumWeight += o.SumWeight
}

// Neg returns -p, used to retract a contribution.
func (p Parts) Neg() Parts {
	return Parts{-p.Articles, -p.DyadArticles, -p.Escalating, -p.Deescalating, -p.Mixed, -p.SumScore, -p.SumWeight}
}

// IsZero reports whether p adds nothing.
func (p Parts) IsZero() bool { return p == Parts{} }

// DyadContribution is what one article adds to its dyad's parts.
func DyadContribution(d event.Dyad) Parts {
	return DyadParts(d.Direction, d.Tension, d.TotalWeight()) // every cue found, also those cut from the record
}

// DyadParts is what one dyad article with this direction, score and total
// cue weight adds to its pair: DyadContribution of a record, or of a dyad
// as the raw tables store it (sink rebuild).
func DyadParts(direction string, score, weight float64) Parts {
	p := Parts{DyadArticles: 1, SumScore: score, SumWeight: weight}
	switch direction {
	case event.DirectionEscalation:
		p.Escalating = 1
	case event.DirectionDeescalation:
		p.Deescalating = 1
	case event.DirectionMixed:
		p.Mixed = 1
	}
	return p
}

// NetTension is the mean dyad score, in [-1, 1]; 0 without dyad articles.
func NetTension(p Parts) float64 {
	if p.DyadArticles == 0 {
		return 0
	}
	return clamp(p.SumScore/float64(p.DyadArticles), -1, 1)
}

// TensionShare is escalating dyad articles over all articles in the bucket
// (all is the AllPair count); 0 for an empty bucket.
func TensionShare(escalating, all int64) float64 {
	if all <= 0 {
		return 0
	}
	return clamp(float64(escalating)/float64(all), 0, 1)
}

// TensionIndex scales a share to its base-period mean: 100 means normal
// (the GPR convention). baseShare is the share over the base period computed
// from summed parts (escalating / all articles); 0 when the base is empty.
func TensionIndex(share, baseShare float64) float64 {
	if baseShare <= 0 {
		return 0
	}
	return 100 * share / baseShare
}

// Squash maps a signed sum of weights to (-1, 1) as x/sqrt(x²+alpha).
func Squash(x, alpha float64) float64 {
	if x == 0 {
		return 0
	}
	return x / math.Sqrt(x*x+alpha)
}

// Pair joins two country codes in sorted order: Pair("US","CN") == "CN-US".
func Pair(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + "-" + b
}

func clamp(x, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, x))
}
