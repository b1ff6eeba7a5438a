package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tension-dev/tension/pkg/httpapi"
	"github.com/tension-dev/tension/pkg/kafkax"
)

// Error codes of the JSON envelope; clients branch on these, not on the
// message text.
const (
	CodeUnauthorized     = httpapi.CodeUnauthorized
	CodeForbidden        = httpapi.CodeForbidden
	CodeMethodNotAllowed = "method_not_allowed"
	CodeUnsupportedMedia = "unsupported_media_type"
	CodeBodyTooLarge     = "body_too_large"
	CodeBatchTooLarge    = "batch_too_large"
	CodeArticleTooLarge  = "article_too_large"
	CodeInvalidArticle   = "invalid_article"
	CodeUnavailable      = "kafka_unavailable"
	CodeNotFound         = "not_found"
)

// retryAfterSeconds is what a 503 tells clients to wait.
const retryAfterSeconds = httpapi.RetryAfterSeconds

// Detail is one problem of one article. Line is the NDJSON line (1-based;
// 1 for a single JSON body); Field is a JSON pointer into that article.
type Detail struct {
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// apiError is every non-2xx answer: the status, the envelope and the
// headers that go with it.
type apiError struct {
	status  int
	code    string
	message string
	details []Detail
	drain   bool // an oversize body: read the rest after answering (drainBody)
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// writeError is the one place an error reaches the client: httpapi writes
// the status, the headers it requires and the envelope
// {"error": {"code", "message", "details"}}.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	he := &httpapi.Error{Status: e.status, Code: e.code, Message: e.message}
	if len(e.details) > 0 {
		he.Details = e.details
	}
	httpapi.WriteError(w, he)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpapi.WriteJSON(w, status, v) }

// publishError maps a failed Kafka write to the answer: an article the
// broker refuses for its size is the client's problem (413); everything
// else — brokers down, leader elections, timeouts, acks missing — is ours
// and temporary (503 with Retry-After), and the whole request may be sent
// again: article ids are stable, so a repeat is the same article.
func publishError(err error, maxMessageBytes int) *apiError {
	if isTooLarge(err) {
		return errorf(http.StatusRequestEntityTooLarge, CodeArticleTooLarge,
			"an article is too large for Kafka (limit %d bytes encoded)", maxMessageBytes)
	}
	reason := "Kafka did not acknowledge the articles"
	if errors.Is(err, context.DeadlineExceeded) {
		reason = "Kafka did not acknowledge the articles in time"
	}
	return errorf(http.StatusServiceUnavailable, CodeUnavailable,
		"%s; nothing was accepted, retry after %s s", reason, retryAfterSeconds)
}

func isTooLarge(err error) bool { return kafkax.IsTooLarge(err) }
