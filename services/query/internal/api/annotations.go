package api

import (
	"net/http"
	"time"

	"github.com/tension-dev/tension/services/query/internal/annotations"
)

// AnnotationsRequest is a validated /v1/annotations request: events dated in
// [From, To) about Pair ("" for every pair; events about every pair are
// always included).
type AnnotationsRequest struct {
	Pair     string
	From, To time.Time
	Format   Format
}

// ParseAnnotations validates a /v1/annotations query string. Without from
// and to, every event is listed.
func ParseAnnotations(rawQuery string) (AnnotationsRequest, error) {
	var r AnnotationsRequest
	p, err := newParams(rawQuery, Params["/v1/annotations"]...)
	if err != nil {
		return r, err
	}
	if p.has("pair") {
		if r.Pair, err = p.pair(); err != nil {
			return r, err
		}
	}
	if r.From, r.To, err = p.span(maxTime, func(time.Time) time.Time { return minTime }); err != nil {
		return r, err
	}
	r.Format, err = p.format(true)
	return r, err
}

// AnnotationsResponse is the body of /v1/annotations.
type AnnotationsResponse struct {
	Pair        string       `json:"pair,omitempty"`
	From        time.Time    `json:"from"`
	To          time.Time    `json:"to"`
	Annotations []Annotation `json:"annotations"`
}

// Annotation is one dated event: the project's milestones (origin
// "project") and the -annotations-file's (origin "user").
type Annotation struct {
	Date   string `json:"date"` // YYYY-MM-DD, the UTC day
	Pair   string `json:"pair"` // "CN-US", or "*" for every pair
	Kind   string `json:"kind"` // escalation, de-escalation or other
	Label  string `json:"label"`
	Origin string `json:"origin"`
}

func (r AnnotationsResponse) csvHeader() []string {
	return []string{"date", "pair", "kind", "label", "origin"}
}

func (r AnnotationsResponse) csvRows() [][]string {
	out := make([][]string, len(r.Annotations))
	for i, a := range r.Annotations {
		out[i] = []string{a.Date, a.Pair, a.Kind, text(a.Label), a.Origin}
	}
	return out
}

func (a *API) annotations(w http.ResponseWriter, r *http.Request) error {
	req, err := ParseAnnotations(r.URL.RawQuery)
	if err != nil {
		return err
	}
	evs := a.events.Between(req.Pair, req.From, req.To)
	resp := AnnotationsResponse{Pair: req.Pair, From: req.From, To: req.To, Annotations: make([]Annotation, len(evs))}
	for i, e := range evs {
		resp.Annotations[i] = Annotation{Date: e.Date.Format(time.DateOnly), Pair: e.Pair, Kind: e.Kind, Label: e.Label, Origin: e.Origin}
	}
	return write(w, req.Format, resp)
}

// projectAnnotations is the default event set: the embedded milestones
// (tested; an error here is a broken build, and serving none is safer than
// not serving the API).
func projectAnnotations(cfg Config) *annotations.Set {
	s, err := annotations.Load("")
	if err != nil {
		cfg.Logger.Error("embedded milestones unreadable; /v1/annotations serves none", "error", err)
		return &annotations.Set{}
	}
	return s
}
