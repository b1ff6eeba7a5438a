package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// component is one line of `scripts/cluster.sh topology`.
type component struct {
	name, kind string
	attrs      map[string]string
}

// localTopology runs `scripts/cluster.sh topology`: the components of the
// local cluster and its settings, as the script would start them.
func localTopology(t *testing.T) (map[string]component, map[string]string) {
	t.Helper()
	cmd := exec.Command("bash", "../scripts/cluster.sh", "topology")
	cmd.Env = append(os.Environ(), "TENSION_LOCAL="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/cluster.sh topology: %v", err)
	}
	comps := map[string]component{}
	settings := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			t.Fatalf("topology line %q", line)
		}
		if f[0] == "setting" {
			k, v, _ := strings.Cut(f[1], "=")
			settings[k] = v
			continue
		}
		c := component{name: f[0], kind: f[1], attrs: map[string]string{}}
		for _, kv := range f[2:] {
			k, v, _ := strings.Cut(kv, "=")
			c.attrs[k] = v
		}
		comps[c.name] = c
	}
	return comps, settings
}

type composeService struct {
	Profiles    []string       `yaml:"profiles"`
	Image       string         `yaml:"image"`
	Environment map[string]any `yaml:"environment"`
	Ports       []string       `yaml:"ports"`
	Volumes     []string       `yaml:"volumes"`
}

func (s composeService) env(k string) string {
	if v, ok := s.Environment[k]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// hostPorts returns the host side of a published "127.0.0.1:HOST:CONTAINER".
func (s composeService) hostPorts() []string {
	var out []string
	for _, p := range s.Ports {
		f := strings.Split(p, ":")
		if len(f) == 3 {
			out = append(out, f[1])
		}
	}
	return out
}

// TestComposeClusterMatchesLocalCluster keeps docker-compose.yml's `cluster`
// profile (modern images, not runnable on the development machines) and
// scripts/cluster.sh (what the drills run) in lockstep: the same Kafka nodes
// with the same roles, replication factor, min.insync.replicas and host
// ports; one coordinator (Keeper there, ZooKeeper here); the same
// ClickHouse replicas of the same shard on the same host ports, with the
// same deduplication window.
func TestComposeClusterMatchesLocalCluster(t *testing.T) {
	local, settings := localTopology(t)
	raw, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse docker-compose.yml: %v", err)
	}
	cluster := map[string]composeService{}
	for name, s := range doc.Services {
		for _, p := range s.Profiles {
			if p == "cluster" {
				cluster[name] = s
			}
		}
	}
	count := func(kind string) int {
		n := 0
		for _, c := range local {
			if c.kind == kind {
				n++
			}
		}
		return n
	}
	if count("kafka") != 3 || count("clickhouse") != 2 || count("zookeeper") != 1 {
		t.Fatalf("local topology: %d kafka, %d clickhouse, %d zookeeper; want 3, 2, 1", count("kafka"), count("clickhouse"), count("zookeeper"))
	}

	voters := 0
	for name, c := range local {
		s, ok := cluster[name]
		switch c.kind {
		case "kafka":
			if !ok {
				t.Errorf("compose cluster profile has no %s", name)
				continue
			}
			if !strings.HasPrefix(s.Image, "apache/kafka:4.") {
				t.Errorf("%s: image %s, want Kafka 4.x", name, s.Image)
			}
			if got := s.env("KAFKA_NODE_ID"); got != c.attrs["node_id"] {
				t.Errorf("%s: node id %s in compose, %s locally", name, got, c.attrs["node_id"])
			}
			if got := s.env("KAFKA_PROCESS_ROLES"); got != c.attrs["roles"] {
				t.Errorf("%s: roles %s in compose, %s locally", name, got, c.attrs["roles"])
			}
			if got := s.env("KAFKA_DEFAULT_REPLICATION_FACTOR"); got != settings["kafka.default.replication.factor"] {
				t.Errorf("%s: replication factor %s in compose, %s locally", name, got, settings["kafka.default.replication.factor"])
			}
			if got := s.env("KAFKA_MIN_INSYNC_REPLICAS"); got != settings["kafka.min.insync.replicas"] {
				t.Errorf("%s: min.insync.replicas %s in compose, %s locally", name, got, settings["kafka.min.insync.replicas"])
			}
			if got := s.hostPorts(); len(got) != 1 || got[0] != c.attrs["port"] {
				t.Errorf("%s: host ports %v in compose, %s locally", name, got, c.attrs["port"])
			}
			if !strings.Contains(s.env("KAFKA_ADVERTISED_LISTENERS"), "127.0.0.1:"+c.attrs["port"]) {
				t.Errorf("%s: advertised listeners %q do not name the host port %s", name, s.env("KAFKA_ADVERTISED_LISTENERS"), c.attrs["port"])
			}
			voters = strings.Count(s.env("KAFKA_CONTROLLER_QUORUM_VOTERS"), "@")
		case "clickhouse":
			if !ok {
				t.Errorf("compose cluster profile has no %s", name)
				continue
			}
			if !strings.HasPrefix(s.Image, "clickhouse/clickhouse-server:25.") {
				t.Errorf("%s: image %s, want ClickHouse 25.x", name, s.Image)
			}
			if got := s.env("CLICKHOUSE_REPLICA"); got != c.attrs["replica"] {
				t.Errorf("%s: replica %s in compose, %s locally", name, got, c.attrs["replica"])
			}
			if got := s.hostPorts(); len(got) != 1 || got[0] != c.attrs["tcp"] {
				t.Errorf("%s: host ports %v in compose, native port %s locally", name, got, c.attrs["tcp"])
			}
		case "zookeeper":
			if _, ok := cluster["keeper"]; !ok {
				t.Error("compose cluster profile has no keeper (the local cluster's ZooKeeper)")
			}
		}
	}
	if voters != count("kafka") {
		t.Errorf("compose controller quorum has %d voters, the local cluster %d nodes", voters, count("kafka"))
	}
	kinds := map[string]int{}
	for name := range cluster {
		kinds[strings.TrimRight(name, "-0123456789")]++
	}
	if kinds["kafka"] != 3 || kinds["clickhouse"] != 2 || kinds["keeper"] != 1 {
		t.Errorf("compose cluster profile has %v; want 3 kafka, 2 clickhouse, 1 keeper (and kafka-cluster-init)", kinds)
	}

	// Replication settings: the same shard and deduplication window on both.
	repl, err := os.ReadFile("../platform/cluster/compose-replication.xml")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile("../platform/cluster/clickhouse-replica.xml.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`<shard>([0-9]+)</shard>`),
		regexp.MustCompile(`<replicated_deduplication_window>([0-9]+)</replicated_deduplication_window>`),
	} {
		a, b := re.FindSubmatch(repl), re.FindSubmatch(tmpl)
		if a == nil || b == nil || string(a[1]) != string(b[1]) {
			t.Errorf("%s: compose %q, local %q", re, a, b)
		}
	}
	if m := regexp.MustCompile(`<replicated_deduplication_window>([0-9]+)<`).FindSubmatch(repl); m == nil ||
		string(m[1]) != settings["clickhouse.replicated_deduplication_window"] {
		t.Errorf("deduplication window: compose %q, local %s", m, settings["clickhouse.replicated_deduplication_window"])
	}
	for name, c := range local {
		if c.kind == "clickhouse" && c.attrs["shard"] != string(regexp.MustCompile(`<shard>([0-9]+)</shard>`).FindSubmatch(repl)[1]) {
			t.Errorf("%s: shard %s locally", name, c.attrs["shard"])
		}
	}
}
