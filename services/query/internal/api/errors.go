package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/httpapi"

	"github.com/tension-dev/tension/services/query/internal/store"
)

// Error is an API error: the status and the envelope's code and message.
// Handlers return it (or any error) and writeError turns it into
//
//	{"error":{"code":"bad_request","message":"interval: must be one of ..."}}
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Envelope codes.
const (
	CodeBadRequest       = "bad_request"
	CodeNotFound         = "not_found"
	CodeUnauthorized     = httpapi.CodeUnauthorized
	CodeForbidden        = httpapi.CodeForbidden
	CodeMethodNotAllowed = "method_not_allowed"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal"
)

func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

// writeError is the one place errors become HTTP responses. Client errors
// keep their message; store failures become 503 (ClickHouse unreachable,
// overloaded or too slow) or 500, logged here with the cause and answered
// without internals.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, store.ErrNotFound):
		e = &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "not found"}
	case errors.Is(err, chstore.ErrUnavailable):
		log.Warn("clickhouse unavailable", "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "ClickHouse is unavailable; retry later"}
	case errors.Is(err, context.DeadlineExceeded):
		log.Warn("query timed out", "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "the query took too long; narrow the range or retry later"}
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this.
		e = &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "request canceled"}
	default:
		log.Error("request failed", "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"}
	}
	// The envelope, the status's headers (Retry-After, WWW-Authenticate)
	// and nosniff come from httpapi, as for every service; the query API
	// keeps its charset parameter.
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	httpapi.WriteError(w, &httpapi.Error{Status: e.Status, Code: e.Code, Message: e.Message})
}
