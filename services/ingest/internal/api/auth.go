package api

import (
	"net/http"

	"github.com/tension-dev/tension/pkg/httpapi"
)

// tokens are the accepted bearer tokens, checked by httpapi (one token rule
// and one constant-time check for every service).
type tokens struct{ t *httpapi.Tokens }

func newTokens(list []string) tokens { return tokens{httpapi.NewTokens(list)} }

// check returns nil when r carries an accepted token: 401 when the
// Authorization header is missing or not "Bearer <token>", 403 when the
// token is unknown. With no tokens configured (-insecure-no-auth) every
// request passes.
func (t tokens) check(r *http.Request) *apiError {
	if e := t.t.Check(r); e != nil {
		return &apiError{status: e.Status, code: e.Code, message: e.Message}
	}
	return nil
}
