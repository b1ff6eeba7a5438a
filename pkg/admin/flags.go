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

// DefineFlags defines -admin-addr (<PREFIX>_ADMIN_ADDR, default def) and
// -admin-tokens / -admin-tokens-file (ADMIN_TOKENS / ADMIN_TOKENS_FILE).
// With legacyAddr, -addr and <PREFIX>_ADDR stay accepted as deprecated
// names (the enricher's and sink's only listener was called that).
func DefineFlags(fs *flagenv.Set, prefix, def string, legacyAddr bool) *Flags {
	env := prefix + "_ADMIN_ADDR"
	if legacyAddr {
		fs.DeprecatedEnv(env, prefix+"_ADDR")
	}
	f := &Flags{
		addr: fs.String("admin-addr", env, def, "admin HTTP address (/healthz, /readyz, /metrics); beyond loopback its endpoints need an admin token"),
		tokens: fs.String("admin-tokens", "ADMIN_TOKENS", "",
			"comma-separated bearer tokens for the admin endpoints when the admin address is beyond loopback (16+ characters)"),
		tokensFile: fs.String("admin-tokens-file", "ADMIN_TOKENS_FILE", "", "file of admin tokens, one per line, # comments"),
	}
	if legacyAddr {
		fs.DeprecatedFlag("addr", "admin-addr")
	}
	return f
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
