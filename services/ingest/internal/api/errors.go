package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/segmentio/kafka-go"

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
// and temporary (503 with Retry-After). A write that failed may still have
// stored some of the articles (a timeout after the broker appended them),
// so the answer never says nothing was written; it says what is safe:
// sending the whole request again, since article ids are stable and an
// article stored twice is counted once.
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
		"%s; some may have been written. %s", reason, resendAdvice)
}

// resendAdvice ends every 503 of a failed write.
var resendAdvice = "Send the whole request again after " + retryAfterSeconds +
	" s: article ids are stable, so an article that was written is not counted twice"

// maxUnacknowledgedDetails bounds the per-article details of a 503.
const maxUnacknowledgedDetails = 100

// unacknowledged refines a 503 when Kafka answered per message
// (kafka.WriteErrors, positions matching lines): how many articles it
// acknowledged, and which lines it did not — those may or may not have
// been written. It returns how many were acknowledged.
func unacknowledged(e *apiError, err error, lines []line) int {
	var we kafka.WriteErrors
	if e.status != http.StatusServiceUnavailable || !errors.As(err, &we) || len(we) != len(lines) {
		return 0
	}
	failed := we.Count()
	var first error
	e.details = nil
	for i, werr := range we {
		if werr == nil {
			continue
		}
		if first == nil {
			first = werr
		}
		if len(e.details) < maxUnacknowledgedDetails {
			e.details = append(e.details, Detail{Line: lines[i].n, Reason: "not acknowledged by Kafka (may or may not be written): " + werr.Error()})
		}
	}
	if failed == 0 {
		return 0
	}
	acked := len(lines) - failed
	e.message = fmt.Sprintf("Kafka acknowledged %d of %d articles; the other %d (lines in details) were not acknowledged (%v) and may or may not have been written. %s",
		acked, len(lines), failed, first, resendAdvice)
	return acked
}

func isTooLarge(err error) bool { return kafkax.IsTooLarge(err) }
