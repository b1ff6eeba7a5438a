// Package httpapi is the HTTP plumbing the public APIs of Tension share:
// the JSON error envelope, bearer-token auth with one token rule, a cap on
// concurrent requests, and hardened server settings. It depends on the
// standard library only.
package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// RetryAfterSeconds is what a 503 tells clients to wait.
const RetryAfterSeconds = "5"

// Error is every non-2xx answer: the status and the envelope's code,
// message and optional details.
//
//	{"error": {"code": "...", "message": "...", "details": [...]}}
type Error struct {
	Status  int
	Code    string
	Message string
	// Details are service-specific (ingest: one entry per bad line);
	// left out of the JSON when nil.
	Details any
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Errorf returns an Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Envelope is the JSON body of every error.
type Envelope struct {
	Error EnvelopeBody `json:"error"`
}

// EnvelopeBody is the inside of the envelope.
type EnvelopeBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// WriteError is the one place an error reaches a client: the status, the
// headers that status requires (WWW-Authenticate on 401 and 403,
// Retry-After on 429 and 503 unless already set) and the envelope.
func WriteError(w http.ResponseWriter, e *Error) {
	h := w.Header()
	switch e.Status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="tension"`)
	case http.StatusForbidden:
		h.Set("WWW-Authenticate", `Bearer realm="tension", error="invalid_token"`)
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		if h.Get("Retry-After") == "" {
			h.Set("Retry-After", RetryAfterSeconds)
		}
	}
	WriteJSON(w, e.Status, Envelope{Error: EnvelopeBody{Code: e.Code, Message: e.Message, Details: e.Details}})
}

// WriteJSON writes v as the JSON body with status. It encodes v completely
// first, so an encoding failure still becomes a clean 500. Content-Type is
// application/json unless the caller set it already.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	WriteJSONBytes(w, status, b)
}

// WriteJSONBytes writes b, a JSON document encoded by the caller, as
// WriteJSON writes its value's.
func WriteJSONBytes(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // the client may be gone; nothing to do
}
