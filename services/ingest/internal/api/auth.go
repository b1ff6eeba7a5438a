package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// tokens holds the SHA-256 of every accepted bearer token. Comparing
// fixed-size digests, over all tokens without an early exit, leaks neither
// which token matched nor how long the tokens are.
type tokens [][sha256.Size]byte

func newTokens(list []string) tokens {
	t := make(tokens, 0, len(list))
	for _, s := range list {
		t = append(t, sha256.Sum256([]byte(s)))
	}
	return t
}

// check returns nil when r carries an accepted token: 401 when the
// Authorization header is missing or not "Bearer <token>", 403 when the
// token is unknown. With no tokens configured (-insecure-no-auth) every
// request passes.
func (t tokens) check(r *http.Request) *apiError {
	if len(t) == 0 {
		return nil
	}
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return errorf(http.StatusUnauthorized, CodeUnauthorized, `missing or malformed Authorization header: send "Authorization: Bearer <token>"`)
	}
	sum := sha256.Sum256([]byte(tok))
	match := 0
	for i := range t {
		match |= subtle.ConstantTimeCompare(sum[:], t[i][:])
	}
	if match != 1 {
		return errorf(http.StatusForbidden, CodeForbidden, "the bearer token is not accepted")
	}
	return nil
}
