package api

import (
	"encoding/json"
	"net/http"

	"github.com/tension-dev/tension/pkg/httpapi"
	"github.com/tension-dev/tension/pkg/jsonwire"
)

// The index answer is written by hand: a year of hourly buckets is 8,784
// of them, and encoding/json (on json/v2 since Go 1.27) called each
// bucket's MarshalJSON and re-parsed what it returned, 29 ms of CPU for
// 2.3 MB (BenchmarkIndexJSON), the largest part of the request. The bytes
// are json.Marshal's (TestIndexJSONIsMarshals); a value it would refuse
// (a NaN) falls back to it, and so to its error.

// jsonAppender is an answer that writes its own JSON, the bytes
// json.Marshal would write (an error: a value it would refuse).
type jsonAppender interface {
	appendJSON(dst []byte) ([]byte, error)
}

// writeAppendedJSON writes v's own JSON; on an error, json.Marshal's
// answer (and so its error envelope).
func writeAppendedJSON(w http.ResponseWriter, v jsonAppender) {
	b, err := v.appendJSON(nil)
	if err != nil {
		writeJSON(w, http.StatusOK, v)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	httpapi.WriteJSONBytes(w, http.StatusOK, b)
}

// appendJSON appends r as json.Marshal writes it.
func (r IndexResponse) appendJSON(dst []byte) ([]byte, error) {
	if dst == nil {
		dst = make([]byte, 0, 64+len(r.Buckets)*280)
	}
	var err error
	dst = append(dst, `{"pair":`...)
	dst = jsonwire.AppendString(dst, r.Pair, true)
	dst = append(dst, `,"interval":`...)
	dst = jsonwire.AppendString(dst, string(r.Interval), true)
	dst = append(dst, `,"from":`...)
	if dst, err = jsonwire.AppendTime(dst, r.From); err != nil {
		return dst, err
	}
	dst = append(dst, `,"to":`...)
	if dst, err = jsonwire.AppendTime(dst, r.To); err != nil {
		return dst, err
	}
	dst = append(dst, `,"tagger_version":`...)
	dst = jsonwire.AppendString(dst, r.TaggerVersion, true)
	if r.Window != "" {
		dst = append(dst, `,"window":`...)
		dst = jsonwire.AppendString(dst, r.Window, true)
	}
	if r.Filter != nil {
		f, err := json.Marshal(r.Filter) // three short strings: not worth a copy of their rules
		if err != nil {
			return dst, err
		}
		dst = append(append(dst, `,"filter":`...), f...)
	}
	dst = append(dst, `,"base":{"from":`...)
	if dst, err = jsonwire.AppendTime(dst, r.Base.From); err != nil {
		return dst, err
	}
	dst = append(dst, `,"to":`...)
	if dst, err = jsonwire.AppendTime(dst, r.Base.To); err != nil {
		return dst, err
	}
	dst = append(dst, `,"share":`...)
	if dst, err = jsonwire.AppendFloat(dst, r.Base.Share); err != nil {
		return dst, err
	}
	dst = append(dst, `},"buckets":`...)
	if r.Buckets == nil {
		return append(dst, "null}"...), nil
	}
	dst = append(dst, '[')
	for i := range r.Buckets {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = r.Buckets[i].appendJSON(dst); err != nil {
			return dst, err
		}
	}
	return append(dst, "]}"...), nil
}

// appendJSON appends b as its MarshalJSON writes it.
func (b *IndexBucket) appendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"start":`...)
	if dst, err = jsonwire.AppendTime(dst, b.Start); err != nil {
		return dst, err
	}
	if b.Gap {
		dst = append(dst, `,"gap":true`...)
	}
	for _, f := range [...]struct {
		key string
		n   int64
	}{{`,"articles":`, b.Articles}, {`,"dyad_articles":`, b.DyadArticles}, {`,"escalating":`, b.Escalating},
		{`,"deescalating":`, b.Deescalating}, {`,"mixed":`, b.Mixed}} {
		dst = jsonwire.AppendInt(append(dst, f.key...), int(f.n))
	}
	ratios := [...]struct {
		key   string
		v     float64
		ratio bool // null in a gap
	}{{`,"sum_score":`, b.SumScore, false}, {`,"sum_weight":`, b.SumWeight, false},
		{`,"net_tension":`, b.NetTension, true}, {`,"tension_share":`, b.TensionShare, true}, {`,"tension_index":`, b.TensionIndex, true}}
	for _, f := range ratios {
		dst = append(dst, f.key...)
		if f.ratio && b.Gap {
			dst = append(dst, "null"...)
			continue
		}
		if dst, err = jsonwire.AppendFloat(dst, f.v); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}
