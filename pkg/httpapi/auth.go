package httpapi

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// MinTokenLen is the one token rule of every service: a bearer token has at
// least 16 characters (`<service> token` prints a random 32-byte one), no
// spaces and no control characters.
const MinTokenLen = 16

// Error codes of authentication failures.
const (
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
)

// ErrWeakToken is returned for a token that breaks the token rule.
var ErrWeakToken = errors.New("a token must have at least 16 characters (make one with the `token` subcommand) and no spaces")

// CheckToken applies the token rule.
func CheckToken(tok string) error {
	if len(tok) < MinTokenLen {
		return ErrWeakToken
	}
	for _, c := range tok {
		if c <= ' ' || c == 0x7f {
			return ErrWeakToken
		}
	}
	return nil
}

// NewToken returns 32 random bytes in unpadded URL-safe base64 (43
// characters): what the `token` subcommands print.
func NewToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// LoadTokens returns the tokens of a comma-separated list and of a file
// (one per line; blank lines and # comments ignored), each checked against
// the token rule. what names the setting in errors.
func LoadTokens(what, list, file string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimSpace(t); t != "" {
			if err := CheckToken(t); err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			out = append(out, t)
		}
	}
	if file == "" {
		return out, nil
	}
	fromFile, err := ReadTokensFile(file)
	if err != nil {
		return nil, err
	}
	return append(out, fromFile...), nil
}

// ReadTokensFile reads one token per line; blank lines and lines starting
// with # are ignored, surrounding spaces trimmed. A line that breaks the
// token rule is an error with its line number.
func ReadTokensFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("tokens file %s:%d: a token must not contain spaces", path, n)
		}
		if err := CheckToken(line); err != nil {
			return nil, fmt.Errorf("tokens file %s:%d: %w", path, n, err)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	return out, nil
}

// Tokens holds the SHA-256 of every accepted bearer token. Comparing
// fixed-size digests, over all tokens without an early exit, leaks neither
// which token matched nor how long the tokens are.
type Tokens struct {
	sums [][sha256.Size]byte
}

// NewTokens returns the accepted tokens (empty strings are skipped).
func NewTokens(list []string) *Tokens {
	t := &Tokens{}
	for _, s := range list {
		if s != "" {
			t.sums = append(t.sums, sha256.Sum256([]byte(s)))
		}
	}
	return t
}

// Empty reports whether no token is configured (authentication off).
func (t *Tokens) Empty() bool { return t == nil || len(t.sums) == 0 }

// Check returns nil when r carries an accepted token, or when no token is
// configured: 401 when the Authorization header is missing or not
// "Bearer <token>", 403 when the token is unknown.
func (t *Tokens) Check(r *http.Request) *Error {
	if t.Empty() {
		return nil
	}
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return Errorf(http.StatusUnauthorized, CodeUnauthorized, `missing or malformed Authorization header: send "Authorization: Bearer <token>"`)
	}
	sum := sha256.Sum256([]byte(tok))
	match := 0
	for i := range t.sums {
		match |= subtle.ConstantTimeCompare(sum[:], t.sums[i][:])
	}
	if match != 1 {
		return Errorf(http.StatusForbidden, CodeForbidden, "the bearer token is not accepted")
	}
	return nil
}

// Require wraps h so that it runs only for requests with an accepted token.
func (t *Tokens) Require(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := t.Check(r); e != nil {
			WriteError(w, e)
			return
		}
		h.ServeHTTP(w, r)
	})
}
