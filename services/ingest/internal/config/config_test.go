package config

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tokens")
	if err := os.WriteFile(file, []byte("# dev tokens\n\n  tok-file-1-0123456789  \ntok-file-2-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("ok-0123456789abcdef\nnot ok-0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// One token rule for every service: at least 16 characters.
	const tokA, tokB, tokE, tokF = "token-a-0123456789", "token-b-0123456789", "token-e-0123456789", "token-f-0123456789"
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantErr    string
		wantTokens []string
		check      func(t *testing.T, c Config)
	}{
		{name: "defaults need a token", wantErr: "no bearer tokens"},
		{name: "insecure", args: []string{"-insecure-no-auth"}, check: func(t *testing.T, c Config) {
			if c.Addr != "127.0.0.1:8080" || c.Topic != "articles.raw.v1" || c.MaxBody != 8<<20 || c.MaxBatch != 5000 || c.Partitions != 6 ||
				!slices.Equal(c.Brokers, []string{"127.0.0.1:9092"}) || !c.InsecureNoAuth {
				t.Fatalf("defaults = %+v", c)
			}
		}},
		{name: "env tokens and file", env: map[string]string{"TENSION_TOKENS": tokA + ", " + tokB + ",,", "TENSION_TOKENS_FILE": file},
			wantTokens: []string{tokA, tokB, "tok-file-1-0123456789", "tok-file-2-0123456789"}},
		{name: "flag beats env", args: []string{"-tokens", tokF, "-addr", ":9"}, env: map[string]string{"TENSION_TOKENS": tokE, "INGEST_ADDR": "x:1", "KAFKA_BROKERS": "k1:1,k2:2", "INGEST_MAX_BODY": "100", "KAFKA_PARTITIONS": "3"},
			wantTokens: []string{tokF}, check: func(t *testing.T, c Config) {
				if c.Addr != ":9" || !slices.Equal(c.Brokers, []string{"k1:1", "k2:2"}) || c.MaxBody != 100 || c.Partitions != 3 {
					t.Fatalf("config = %+v", c)
				}
			}},
		{name: "bad env int", env: map[string]string{"TENSION_TOKENS": tokA, "INGEST_MAX_BODY": "8MiB"}, wantErr: "INGEST_MAX_BODY"},
		{name: "missing tokens file", args: []string{"-tokens-file", filepath.Join(dir, "nope")}, wantErr: "tokens file"},
		{name: "token with space", args: []string{"-tokens-file", bad}, wantErr: "bad:2"},
		{name: "short token", args: []string{"-tokens", "f"}, wantErr: "at least 16 characters"},
		{name: "short token in file", env: map[string]string{"TENSION_TOKENS_FILE": short}, wantErr: "short:1"},
		{name: "short admin token", args: []string{"-tokens", tokA, "-admin-tokens", "adm"}, wantErr: "admin-tokens"},
		{name: "zero batch", args: []string{"-tokens", tokA, "-max-batch", "0"}, wantErr: "-max-batch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantTokens != nil && !slices.Equal(c.Tokens, tt.wantTokens) {
				t.Fatalf("tokens = %q, want %q", c.Tokens, tt.wantTokens)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}
