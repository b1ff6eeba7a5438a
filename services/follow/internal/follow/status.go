package follow

import (
	"net/http"
	"time"

	"github.com/tension-dev/tension/pkg/httpapi"
)

// SourceStatus is one source in GET /v1/sources.
type SourceStatus struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Lang     string `json:"lang,omitempty"`
	Interval string `json:"interval"`
	FullText string `json:"full_text"`
	Line     int    `json:"line"`

	// From the state file: survives restarts.
	LastPoll    *time.Time `json:"last_poll,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	NextPoll    *time.Time `json:"next_poll,omitempty"`
	Failures    int        `json:"failures"`
	LastError   string     `json:"last_error,omitempty"`
	ItemsSeen   int        `json:"items_seen"`
	Conditional bool       `json:"conditional"` // an ETag or Last-Modified is stored for the next poll

	// Since the process started.
	LastStatus  string `json:"last_status"` // never, ok, not_modified or error
	Fetched     int64  `json:"fetched"`     // polls answered 200 or 304
	NotModified int64  `json:"not_modified"`
	Errors      int64  `json:"errors"`
	New         int64  `json:"new"`
	Published   int64  `json:"published"`
	DeadLetters int64  `json:"dead_letters"`
	Pending     int    `json:"pending"` // items left for the next poll
}

// Sources is the status of every source, in the order of the sources file.
func (f *Follower) Sources() []SourceStatus {
	out := make([]SourceStatus, 0, len(f.cfg.Sources))
	for _, s := range f.cfg.Sources {
		st := f.cfg.Store.Feed(s.URL)
		v := SourceStatus{Name: s.Name, URL: s.URL, Lang: s.Lang, Interval: s.Interval.String(), FullText: string(s.FullText), Line: s.Line,
			LastPoll: timeOrNil(st.LastPoll), LastSuccess: timeOrNil(st.LastSuccess), NextPoll: timeOrNil(st.NextPoll),
			Failures: st.Failures, LastError: st.LastError, ItemsSeen: len(st.Seen), Conditional: st.ETag != "" || st.LastModified != ""}
		f.mu.Lock()
		if c := f.status[s.Name]; c != nil {
			v.LastStatus, v.Fetched, v.NotModified, v.Errors = c.LastStatus, c.Fetched, c.NotModified, c.Errors
			v.New, v.Published, v.DeadLetters, v.Pending = c.New, c.Published, c.DeadLetters, c.Pending
		}
		f.mu.Unlock()
		out = append(out, v)
	}
	return out
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// SourcesHandler serves GET /v1/sources: {"sources": [...]}.
func (f *Follower) SourcesHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"sources": f.Sources()})
	})
}
