package api

import (
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// Filter is the part of a pair /v1/index (and /v1/leadlag) reads: by the
// side that acts, the kind of speaker and the article language
// (docs/views.md). Empty fields select everything.
type Filter struct {
	Actor      string `json:"actor,omitempty"`       // a code of the pair (that side acts: US for US→CN), or "none"
	SourceType string `json:"source_type,omitempty"` // government, state_media, analyst, firm, press, other
	Lang       string `json:"lang,omitempty"`        // the article language the tagger read ("en", "zh", …)
}

// store is the filter as the store takes it.
func (f Filter) store() store.CellFilter {
	return store.CellFilter{Actor: f.Actor, HasActor: f.Actor != "", Source: f.SourceType, Lang: f.Lang}
}

// IsZero reports whether f selects the whole pair.
func (f Filter) IsZero() bool { return f == Filter{} }

// filter reads actor=, source_type= and lang= for pair.
func (p params) filter(pair string) (Filter, error) {
	var f Filter
	if p.has("actor") {
		a := p.get("actor")
		if a != store.NoActor && a != pair[:2] && a != pair[3:] {
			return f, badRequest("actor: must be one of the pair's codes (%s or %s: that side acts) or none (no side dominates) (got %s)",
				pair[:2], pair[3:], quoteShort(a))
		}
		f.Actor = a
	}
	if p.has("source_type") {
		s := p.get("source_type")
		ok := false
		for _, t := range tension.SourceTypes {
			ok = ok || s == t
		}
		if !ok {
			return f, badRequest("source_type: must be one of government, state_media, analyst, firm, press, other (got %s)", quoteShort(s))
		}
		f.SourceType = s
	}
	// The same language filter as the drivers and ranked lists: a tag
	// matched by prefix (zh selects zh-Hans and zh-TW too), any case.
	l, err := p.lang()
	if err != nil {
		return f, err
	}
	f.Lang = l
	return f, nil
}

// filterOrNil is the response's filter: nil (absent) for the whole pair.
func filterOrNil(f Filter) *Filter {
	if f.IsZero() {
		return nil
	}
	return &f
}
