package tageval

import (
	"bytes"
	"encoding/json"
	"fmt"

	segjson "github.com/segmentio/encoding/json"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/jsonwire"
)

// `enricher tag` reads and writes its lines without reflection (issue 12:
// JSON was a third of its time on short articles): decodeTagIn takes the
// usual article line on a fast path and leaves anything else to
// segmentio/encoding's decoder, as before, and appendLine writes the bytes
// encoding/json's Encoder writes with HTML escaping off
// (TestRunTagMatchesEncodingJSON, FuzzTagLineCodec).

// decodeTagIn decodes a line into a tagIn as segjson.Unmarshal does.
func decodeTagIn(line []byte) (tagIn, error) {
	var a tagIn
	if readTagIn(jsonwire.NewReader(line), &a) {
		return a, nil
	}
	// a target of its own: one passed to segjson escapes to the heap, and
	// the fast path's would too (an allocation per line)
	var b tagIn
	err := segjson.Unmarshal(line, &b)
	return b, err
}

var tagInKeys = []string{"id", "url", "source", "published_at", "title", "text", "lang"}

// readTagIn reads the line into a, reporting whether the fast path took
// it: members in any order, each at most once, unknown ones skipped
// unless they match a known one in another case (the decoder matches
// keys case-insensitively).
func readTagIn(r *jsonwire.Reader, a *tagIn) bool {
	seen := 0
	r.Object(func(key []byte) {
		bit := 0
		switch string(key) {
		case "id":
			bit, a.ID = 1<<0, r.Raw()
		case "url":
			bit, a.URL = 1<<1, r.String()
		case "source":
			bit, a.Source = 1<<2, r.String()
		case "published_at":
			bit, a.PublishedAt = 1<<3, r.String()
		case "title":
			bit, a.Title = 1<<4, r.String()
		case "text":
			text := r.String()
			bit, a.Text = 1<<5, &text
		case "lang":
			bit, a.Lang = 1<<6, r.String()
		default:
			for _, k := range tagInKeys {
				if bytes.EqualFold([]byte(k), key) {
					r.Fail()
					return
				}
			}
			r.Skip()
		}
		if seen&bit != 0 {
			r.Fail()
		}
		seen |= bit
	})
	r.End()
	return !r.Failed()
}

// appendLine appends the output line of v (a tagOut or a tagErr) and its
// newline.
func appendLine(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case tagOut:
		return appendOutLine(b, &v)
	case tagErr:
		return appendErrLine(b, &v)
	}
	return nil, fmt.Errorf("no encoding for %T", v)
}

// appendOutLine appends the output line of the tags v and its newline.
func appendOutLine(b []byte, v *tagOut) ([]byte, error) {
	var err error
	if b, err = appendID(append(b, '{'), v.ID); err != nil {
		return nil, err
	}
	b = append(b, `"article_id":`...)
	b = jsonwire.AppendString(b, v.ArticleID, false)
	b = append(b, `,"tagger_version":`...)
	b = jsonwire.AppendString(b, v.TaggerVersion, false)
	b = append(b, ',')
	if b, err = event.AppendTagsJSON(b, &v.Tags, false); err != nil {
		return nil, err
	}
	return append(b, '}', '\n'), nil
}

// appendErrLine appends the error line v and its newline.
func appendErrLine(b []byte, v *tagErr) ([]byte, error) {
	var err error
	if b, err = appendID(append(b, '{'), v.ID); err != nil {
		return nil, err
	}
	b = append(b, `"error":`...)
	b = jsonwire.AppendString(b, v.Error, false)
	return append(b, '}', '\n'), nil
}

// appendID appends `"id":<id>,` when there is an id, compacted as
// encoding/json writes a json.RawMessage.
func appendID(b []byte, id json.RawMessage) ([]byte, error) {
	if len(id) == 0 {
		return b, nil
	}
	b = append(b, `"id":`...)
	if plainStringID(id) {
		return append(append(b, id...), ','), nil
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, id); err != nil {
		return nil, fmt.Errorf("id: %w", err)
	}
	return append(buf.Bytes(), ','), nil
}

// plainStringID reports whether id is a JSON string of printable ASCII
// without escapes, the usual id: json.Compact leaves it as it is, so
// appendID copies it instead (Compact's scanner and the buffer it writes
// to were ~1.5 % of `enricher tag` on short articles).
func plainStringID(id []byte) bool {
	if len(id) < 2 || id[0] != '"' || id[len(id)-1] != '"' {
		return false
	}
	for _, c := range id[1 : len(id)-1] {
		if c < ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
