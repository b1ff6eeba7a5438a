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
	if err := os.WriteFile(file, []byte("# dev tokens\n\n  tok-file-1  \ntok-file-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("ok\nnot ok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
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
		{name: "env tokens and file", env: map[string]string{"TENSION_TOKENS": "a, b,,", "TENSION_TOKENS_FILE": file},
			wantTokens: []string{"a", "b", "tok-file-1", "tok-file-2"}},
		{name: "flag beats env", args: []string{"-tokens", "f", "-addr", ":9"}, env: map[string]string{"TENSION_TOKENS": "e", "INGEST_ADDR": "x:1", "KAFKA_BROKERS": "k1:1,k2:2", "INGEST_MAX_BODY": "100", "KAFKA_PARTITIONS": "3"},
			wantTokens: []string{"f"}, check: func(t *testing.T, c Config) {
				if c.Addr != ":9" || !slices.Equal(c.Brokers, []string{"k1:1", "k2:2"}) || c.MaxBody != 100 || c.Partitions != 3 {
					t.Fatalf("config = %+v", c)
				}
			}},
		{name: "bad env int", env: map[string]string{"TENSION_TOKENS": "a", "INGEST_MAX_BODY": "8MiB"}, wantErr: "INGEST_MAX_BODY"},
		{name: "missing tokens file", args: []string{"-tokens-file", filepath.Join(dir, "nope")}, wantErr: "tokens file"},
		{name: "token with space", args: []string{"-tokens-file", bad}, wantErr: "bad:2"},
		{name: "zero batch", args: []string{"-tokens", "a", "-max-batch", "0"}, wantErr: "-max-batch"},
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
