package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// Measures /v1/leadlag correlates, each computed per bucket from the
// series' summed parts (a bucket where it is undefined is left out).
var measures = map[string]func(p tension.Parts) float64{
	// escalating articles of the series over all articles (of its language
	// with lang=): undefined without articles.
	"tension_share": func(p tension.Parts) float64 {
		if p.Articles == 0 {
			return math.NaN()
		}
		return tension.TensionShare(p.Escalating, p.Articles)
	},
	// mean score of the series' dyad articles: undefined without any.
	"net_tension": func(p tension.Parts) float64 {
		if p.DyadArticles == 0 {
			return math.NaN()
		}
		return tension.NetTension(p)
	},
	"escalating": func(p tension.Parts) float64 {
		if p.Articles == 0 {
			return math.NaN()
		}
		return float64(p.Escalating)
	},
	"dyad_articles": func(p tension.Parts) float64 {
		if p.Articles == 0 {
			return math.NaN()
		}
		return float64(p.DyadArticles)
	},
}

// LeadLagRequest is a validated /v1/leadlag request.
type LeadLagRequest struct {
	Pair          string
	A, B          Series
	Interval      Interval
	From, To      time.Time
	MaxLag        time.Duration
	MaxLagBuckets int
	Measure       string
	Diff          bool
	TaggerVersion string
}

// Series is one side of a lead-lag request: its spec as given and the part
// of the pair it selects.
type Series struct {
	Spec   string `json:"spec"`
	Filter Filter `json:"filter"`
}

// maxLagBuckets bounds max_lag: 2×366+1 correlations at most.
const maxLagBuckets = 366

// ParseLeadLag validates a /v1/leadlag query string.
func ParseLeadLag(rawQuery string, now time.Time, caps Ranges) (LeadLagRequest, error) {
	var r LeadLagRequest
	p, err := newParams(rawQuery, Params["/v1/leadlag"]...)
	if err != nil {
		return r, err
	}
	if r.Pair, err = p.pair(); err != nil {
		return r, err
	}
	for _, side := range []struct {
		name string
		s    *Series
	}{{"a", &r.A}, {"b", &r.B}} {
		if *side.s, err = parseSeries(side.name, p.get(side.name), r.Pair); err != nil {
			return r, err
		}
	}
	if r.Interval, err = p.interval(Day); err != nil {
		return r, err
	}
	if r.Interval == Month {
		return r, badRequest("interval: lead-lag needs buckets of equal length: minute, hour or day")
	}
	if r.TaggerVersion, err = p.taggerVersion(); err != nil {
		return r, err
	}
	iv := r.Interval
	from, to, err := p.span(now, func(to time.Time) time.Time {
		switch iv {
		case Minute:
			return to.Add(-24 * time.Hour)
		case Hour:
			return to.AddDate(0, 0, -31)
		}
		return to.AddDate(-1, 0, 0)
	})
	if err != nil {
		return r, err
	}
	r.From, r.To = iv.floor(from), iv.ceil(to)
	if c := caps.cap(iv.rows()); r.To.Sub(r.From) > c {
		return r, badRequest("range: %s is more than the %s allowed for interval=%s", spanText(r.To.Sub(r.From)), spanText(c), iv)
	}
	r.MaxLag = 14 * day
	if p.has("max_lag") {
		if r.MaxLag, err = parseSpan(p.get("max_lag")); err != nil {
			return r, badRequest("max_lag: %s; e.g. max_lag=14d", err)
		}
	}
	if r.MaxLagBuckets, err = tension.WindowBuckets(r.MaxLag, iv.rows()); err != nil {
		return r, badRequest("max_lag: %s must be a whole number of %s buckets", spanText(r.MaxLag), iv)
	}
	buckets := int(r.To.Sub(r.From) / iv.rows().Duration())
	if r.MaxLagBuckets > maxLagBuckets || 2*r.MaxLagBuckets >= buckets {
		return r, badRequest("max_lag: %d buckets is too many for a range of %d %s buckets (at most %d, and less than half the range)",
			r.MaxLagBuckets, buckets, iv, maxLagBuckets)
	}
	r.Measure = "tension_share"
	if p.has("measure") {
		if r.Measure = p.get("measure"); measures[r.Measure] == nil {
			return r, badRequest("measure: must be tension_share, net_tension, escalating or dyad_articles (got %s)", quoteShort(r.Measure))
		}
	}
	switch t := p.get("transform"); t {
	case "", "level":
	case "diff":
		r.Diff = true
	default:
		return r, badRequest("transform: must be level or diff (got %s)", quoteShort(t))
	}
	return r, nil
}

// parseSeries reads a series spec: "all" (the whole pair) or
// comma-separated dimension:value terms, e.g. source_type:state_media or
// actor:CN,lang:zh.
func parseSeries(name, spec, pair string) (Series, error) {
	s := Series{Spec: spec}
	if spec == "" {
		return s, badRequest("%s: required: a series such as source_type:state_media, actor:US, lang:zh, actor:CN,source_type:government, or all", name)
	}
	if spec == "all" {
		return s, nil
	}
	v := url.Values{}
	for _, term := range strings.Split(spec, ",") {
		k, val, ok := strings.Cut(term, ":")
		if !ok || (k != "actor" && k != "source_type" && k != "lang") || v.Has(k) {
			return s, badRequest("%s: %s is not dimension:value (dimensions actor, source_type, lang, each once) or all", name, quoteShort(term))
		}
		v.Set(k, val)
	}
	f, err := params{v: v}.filter(pair)
	var e *Error
	if errors.As(err, &e) {
		return s, badRequest("%s: %s", name, e.Message)
	}
	if err != nil {
		return s, err
	}
	s.Filter = f
	return s, nil
}

// LeadLagResponse is the body of /v1/leadlag.
type LeadLagResponse struct {
	Pair          string    `json:"pair"`
	A             Series    `json:"a"`
	B             Series    `json:"b"`
	Interval      Interval  `json:"interval"`
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	TaggerVersion string    `json:"tagger_version"`
	Measure       string    `json:"measure"`
	Transform     string    `json:"transform"`
	MaxLag        string    `json:"max_lag"`
	MinPairs      int       `json:"min_pairs"`
	// Buckets is the range's bucket count; ABuckets and BBuckets how many
	// of them each series has a value for.
	Buckets  int        `json:"buckets"`
	ABuckets int        `json:"a_buckets"`
	BBuckets int        `json:"b_buckets"`
	Lags     []LagValue `json:"lags"`
	Best     *LagValue  `json:"best"`
	// Verdict: too_thin (no lag has min_pairs pairs), no_clear_lead (the
	// strongest |r| is inside twice the no-relation band), a_leads, b_leads
	// or same_bucket (strongest at lag 0).
	Verdict string `json:"verdict"`
	Note    string `json:"note"`
}

// LagValue is the correlation of a[t] with b[t+lag]: a positive lag where r
// peaks means a moved first. R is null with fewer than min_pairs pairs.
type LagValue struct {
	Lag     string   `json:"lag"` // e.g. "3d", "-12h"
	Buckets int      `json:"buckets"`
	R       *float64 `json:"r"`
	N       int      `json:"n"`
	Band    *float64 `json:"band,omitempty"` // 1.96/√n: |r| inside it is no evidence even for independent buckets
}

func (a *API) leadlag(w http.ResponseWriter, r *http.Request) error {
	req, err := ParseLeadLag(r.URL.RawQuery, a.now(), a.ranges)
	if err != nil {
		return err
	}
	values := func(s Series) ([]float64, int, error) {
		bs, err := a.store.Index(r.Context(), store.IndexQuery{Pair: req.Pair, Granularity: req.Interval.rows(),
			TaggerVersion: req.TaggerVersion, From: req.From, To: req.To, Cell: s.Filter.store()})
		if err != nil {
			return nil, 0, err
		}
		dense := Smoothing{Fill: true}.series(req.Interval, req.From, req.To, bs)
		out := make([]float64, len(dense))
		defined := 0
		for i, b := range dense {
			if out[i] = measures[req.Measure](b.Parts); !math.IsNaN(out[i]) {
				defined++
			}
		}
		if req.Diff {
			out = tension.Diff(out)
		}
		return out, defined, nil
	}
	av, an, err := values(req.A)
	if err != nil {
		return err
	}
	bv, bn, err := values(req.B)
	if err != nil {
		return err
	}
	step := req.Interval.rows().Duration()
	resp := LeadLagResponse{Pair: req.Pair, A: req.A, B: req.B, Interval: req.Interval, From: req.From, To: req.To,
		TaggerVersion: req.TaggerVersion, Measure: req.Measure, Transform: map[bool]string{false: "level", true: "diff"}[req.Diff],
		MaxLag: spanString(req.MaxLag), MinPairs: tension.MinLagPairs, Buckets: len(av), ABuckets: an, BBuckets: bn}
	lags := tension.LeadLag(av, bv, req.MaxLagBuckets)
	for _, l := range lags {
		resp.Lags = append(resp.Lags, lagValue(l, step))
	}
	best, ok := tension.Strongest(lags)
	switch {
	case !ok:
		resp.Verdict = "too_thin"
		resp.Note = fmt.Sprintf("no lag has %d bucket pairs where both series have a value (a has %d of %d buckets, b %d): widen the range, use a coarser interval or broader series",
			tension.MinLagPairs, an, len(av), bn)
	default:
		bv := lagValue(best, step)
		resp.Best = &bv
		switch {
		case math.Abs(best.R) < 2*tension.Band(best.N):
			resp.Verdict = "no_clear_lead"
			resp.Note = fmt.Sprintf("the strongest correlation, %.2f at lag %s over %d pairs, is inside twice the no-relation band (±%.2f)", best.R, bv.Lag, best.N, 2*tension.Band(best.N))
		case best.Lag > 0:
			resp.Verdict = "a_leads"
			resp.Note = fmt.Sprintf("a moves %s before b (r %.2f over %d pairs); a correlation, not a cause", bv.Lag, best.R, best.N)
		case best.Lag < 0:
			resp.Verdict = "b_leads"
			resp.Note = fmt.Sprintf("b moves %s before a (r %.2f over %d pairs); a correlation, not a cause", spanString(-time.Duration(best.Lag)*step), best.R, best.N)
		default:
			resp.Verdict = "same_bucket"
			resp.Note = fmt.Sprintf("strongest in the same bucket (r %.2f over %d pairs): the series move together at this interval", best.R, best.N)
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func lagValue(l tension.Lag, step time.Duration) LagValue {
	d := time.Duration(l.Lag) * step
	s := "0"
	switch {
	case d > 0:
		s = spanString(d)
	case d < 0:
		s = "-" + spanString(-d)
	}
	v := LagValue{Lag: s, Buckets: l.Lag, N: l.N}
	if !math.IsNaN(l.R) {
		r, band := l.R, tension.Band(l.N)
		v.R, v.Band = &r, &band
	}
	return v
}
