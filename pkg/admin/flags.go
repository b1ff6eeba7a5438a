package admin

import (
	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/httpapi"
)

// Flags configure a service's admin listener: where it listens and, when
// that is beyond loopback, the tokens its endpoints need. Every service
// defines them through DefineFlags, so they read the same everywhere.
type Flags struct {
	addr, tokens, tokensFile *string
}

// DefineFlags defines the admin address (flag name and variable given: the
// enricher's and sink's only listener is their admin one) and
// -admin-tokens / -admin-tokens-file (ADMIN_TOKENS / ADMIN_TOKENS_FILE).
func DefineFlags(fs *flagenv.Set, flag, env, def string) *Flags {
	return &Flags{
		addr: fs.String(flag, env, def, "admin HTTP address (/healthz, /readyz, /metrics); beyond loopback its endpoints need an admin token"),
		tokens: fs.String("admin-tokens", "ADMIN_TOKENS", "",
			"comma-separated bearer tokens for the admin endpoints when the admin address is beyond loopback (16+ characters)"),
		tokensFile: fs.String("admin-tokens-file", "ADMIN_TOKENS_FILE", "", "file of admin tokens, one per line, # comments"),
	}
}

// Addr is the admin listen address.
func (f *Flags) Addr() string { return *f.addr }

// Tokens returns the admin tokens, checked against the token rule, and
// refuses an admin address beyond loopback without any: called right after
// parsing, so a service refuses to start before it connects to anything.
func (f *Flags) Tokens() ([]string, error) {
	tokens, err := httpapi.LoadTokens("admin-tokens", *f.tokens, *f.tokensFile)
	if err != nil {
		return nil, err
	}
	if err := CheckExposure(*f.addr, tokens); err != nil {
		return nil, err
	}
	return tokens, nil
}
