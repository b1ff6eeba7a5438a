package e2e

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// secretName matches the variables that hold secrets.
var secretName = regexp.MustCompile(`(?i)TOKEN|PASSWORD|SECRET`)

// interpolation matches ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}.
var interpolation = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?([^}]*)\}`)

// TestComposeHasNoDefaultSecrets parses docker-compose.yml (issue 9): no
// secret has a usable default or a literal value, every secret is
// required with `${VAR:?message}`, ClickHouse keeps no password-less user
// and its HTTP port is not published, and every published port is bound to
// 127.0.0.1.
func TestComposeHasNoDefaultSecrets(t *testing.T) {
	raw, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range interpolation.FindAllStringSubmatch(string(raw), -1) {
		if secretName.MatchString(m[1]) && m[2] != ":?" {
			t.Errorf("%s: a secret must be required with ${%s:?message}, not defaulted", m[0], m[1])
		}
	}
	var doc struct {
		Services map[string]struct {
			Environment map[string]any `yaml:"environment"`
			Ports       []string       `yaml:"ports"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse docker-compose.yml: %v", err)
	}
	if len(doc.Services) < 6 {
		t.Fatalf("parsed %d services, want the platform and the pipeline", len(doc.Services))
	}
	required := map[string]bool{}
	for name, svc := range doc.Services {
		for k, v := range svc.Environment {
			val, _ := v.(string)
			if k == "CLICKHOUSE_SKIP_USER_SETUP" {
				t.Errorf("%s: CLICKHOUSE_SKIP_USER_SETUP keeps a password-less default user", name)
			}
			if !secretName.MatchString(k) {
				continue
			}
			m := interpolation.FindStringSubmatch(val)
			if m == nil || m[0] != val || m[2] != ":?" {
				t.Errorf("%s: %s=%q: a secret must come from the environment as ${VAR:?message}", name, k, val)
				continue
			}
			required[m[1]] = true
		}
		for _, p := range svc.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s: port %q is published beyond loopback", name, p)
			}
			if strings.HasSuffix(p, ":8123") {
				t.Errorf("%s: ClickHouse's HTTP port is published (%q)", name, p)
			}
		}
	}
	for _, v := range []string{"INGEST_TOKENS", "QUERY_TOKENS", "CLICKHOUSE_PASSWORD", "CLICKHOUSE_READ_PASSWORD"} {
		if !required[v] {
			t.Errorf("%s is not required by any service", v)
		}
	}
	if u := doc.Services["clickhouse"].Environment["CLICKHOUSE_USER"]; u != "tension" {
		t.Errorf("clickhouse: CLICKHOUSE_USER = %v, want tension (replaces the password-less default user)", u)
	}
	if u := doc.Services["query"].Environment["CLICKHOUSE_READ_USER"]; u != "tension_query" {
		t.Errorf("query: CLICKHOUSE_READ_USER = %v, want the read-only tension_query", u)
	}
	if u := doc.Services["sink"].Environment["CLICKHOUSE_USER"]; u != "tension" {
		t.Errorf("sink: CLICKHOUSE_USER = %v (the writer)", u)
	}
}
