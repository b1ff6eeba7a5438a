package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigRequiresSourcesAndContact(t *testing.T) {
	var out bytes.Buffer
	_, err := parseConfig(nil, env(nil), &out, false)
	if err == nil || !strings.Contains(err.Error(), "-sources") || !strings.Contains(err.Error(), "-contact-url: required") {
		t.Fatalf("err = %v", err)
	}
	for _, bad := range []string{"ops@example.org", "ftp://x.test/", "https://x.test/(a)", "mailto:"} {
		if _, err := parseConfig([]string{"-sources", "s.tsv", "-contact-url", bad}, env(nil), &out, false); err == nil || !strings.Contains(err.Error(), "-contact-url") {
			t.Errorf("contact %q: %v", bad, err)
		}
	}
	for _, good := range []string{"https://ops.example/crawler", "mailto:ops@example.org"} {
		c, err := parseConfig([]string{"-sources", "s.tsv"}, env(map[string]string{"FOLLOW_CONTACT_URL": good}), &out, false)
		if err != nil || c.contactURL != good || c.adminAddr != "127.0.0.1:8086" || c.statePath != ".follow-state" {
			t.Errorf("contact %q: %+v, %v", good, c, err)
		}
	}
	// The admin listener beyond loopback needs tokens, as every service's.
	if _, err := parseConfig([]string{"-sources", "s", "-contact-url", "https://x.test/", "-admin-addr", "0.0.0.0:8086"}, env(nil), &out, false); err == nil ||
		!strings.Contains(err.Error(), "ADMIN_TOKENS") {
		t.Errorf("exposed admin: %v", err)
	}
	if _, err := parseConfig([]string{"-sources", "s", "-contact-url", "https://x.test/", "-concurrency", "0", "-fetch-timeout", "0s"}, env(nil), &out, false); err == nil ||
		!strings.Contains(err.Error(), "-concurrency") || !strings.Contains(err.Error(), "-fetch-timeout") {
		t.Errorf("bad bounds: %v", err)
	}
}

func TestCheck(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"check", "../../samples/feeds/sources.tsv"}, env(nil), &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "3 sources, valid") || !strings.Contains(out.String(), "eastbridge") {
		t.Fatalf("check output:\n%s", out.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.tsv")
	os.WriteFile(bad, []byte("url\tname\tinterval\nhttps://a.test/\ta\t10s\nnot a url\tb\t1h\n"), 0o600)
	err := run(context.Background(), []string{"check", "-sources", bad}, env(nil), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), bad+":2: interval: 10s is outside") || !strings.Contains(err.Error(), bad+":3: url:") {
		t.Fatalf("err = %v", err)
	}
	// -min-interval lowers the bound.
	out.Reset()
	os.WriteFile(bad, []byte("url\tname\tinterval\nhttps://a.test/\ta\t10s\n"), 0o600)
	if err := run(context.Background(), []string{"check", "-min-interval", "5s", bad}, env(nil), &out, &errb); err != nil {
		t.Fatal(err)
	}
}

// The service refuses to start on a corrupt state file rather than
// publishing every feed's items again.
func TestServeRefusesCorruptState(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "state")
	os.Mkdir(st, 0o700)
	os.WriteFile(filepath.Join(st, "AAAAAAAAAAAAAAAA.json"), []byte("{torn"), 0o600)
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-sources", "../../samples/feeds/sources.tsv", "-state", st, "-contact-url", "https://x.test/", "-once"},
		env(nil), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "state file is corrupt") || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("err = %v", err)
	}
}
