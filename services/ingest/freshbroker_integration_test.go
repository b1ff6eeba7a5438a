package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
)

// TestIntegrationFreshBroker runs ingest against a Kafka broker formatted a
// moment ago (its own, on spare ports, with no topics), as a first `make
// run` on a new machine does:
//   - one ingest is polled on /readyz and sent 107 articles the moment it
//     reports ready: that first request must be accepted (ready means a
//     write can succeed, not only that the broker answers);
//   - another ingest is sent its articles at once, before the topics and
//     their leaders exist, and again after each 503 as the Retry-After
//     header says, like the `make run` loader: every answer is 202 or a
//     503 with Retry-After that never claims nothing was written;
//   - every article of both ends up in the topic.
func TestIntegrationFreshBroker(t *testing.T) {
	integration(t)
	broker := startFreshKafka(t)
	env := map[string]string{"INGEST_TOKENS": testToken, "KAFKA_BROKERS": broker}
	args := []string{"-ready-interval", "100ms", "-publish-timeout", "5s"}
	early := startIngest(t, env, args...)
	polled := startIngest(t, env, args...)

	var wg sync.WaitGroup
	var earlyTries int
	wg.Go(func() { earlyTries = sendUntilAccepted(t, early, ndjsonBatch("early", 107, 300)) })
	defer wg.Wait() // the sender reports through t: it must end before the test does

	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(polled + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("ingest not ready 2 minutes after the broker answered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp := post(t, polled, "application/x-ndjson", ndjsonBatch("polled", 107, 300)); resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("first request after /readyz said ready: %d %s", resp.StatusCode, b)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("the early sender was accepted after %d requests", earlyTries)

	want := map[string]bool{}
	for _, prefix := range []string{"early", "polled"} {
		for i := range 107 {
			want[event.ArticleID(fmt.Sprintf("https://news.example.com/%s/%d", prefix, i), "")] = true
		}
	}
	r := kafka.NewReader(kafkax.ReaderConfig([]string{broker}, "fresh-reader", event.TopicRaw))
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for len(want) > 0 {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("read back: %v (%d of 214 articles missing)", err, len(want))
		}
		delete(want, string(m.Key))
	}
}

// sendUntilAccepted posts body until ingest answers 202, waiting as each
// 503's Retry-After says, and checks every 503 on the way.
func sendUntilAccepted(t *testing.T, base, body string) (tries int) {
	deadline := time.Now().Add(2 * time.Minute)
	for tries = 1; ; tries++ {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/articles", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("POST: %v", err)
			return tries
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusAccepted {
			return tries
		}
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("POST = %d, want 202 or 503: %s", resp.StatusCode, b)
			return tries
		}
		var env struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		json.Unmarshal(b, &env)
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || wait <= 0 || strings.Contains(env.Error.Message, "nothing was") || !strings.Contains(env.Error.Message, "ids are stable") {
			t.Errorf("503 with Retry-After %q: %s", resp.Header.Get("Retry-After"), b)
			return tries
		}
		t.Logf("503 (try %d): %s", tries, env.Error.Message)
		if time.Now().After(deadline) {
			t.Errorf("still 503 after 2 minutes")
			return tries
		}
		time.Sleep(time.Duration(wait) * time.Second)
	}
}

// startFreshKafka formats and starts a Kafka broker of its own, from the
// local platform's jars and the project's broker config template (the
// pieces scripts/platform.sh uses), on spare ports in a temporary
// directory, and returns its address once it answers metadata requests.
// It is stopped when the test ends.
func startFreshKafka(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	local := os.Getenv("TENSION_LOCAL")
	if local == "" {
		local = filepath.Join(root, ".local")
	}
	libs := filepath.Join(local, "kafka", "libs")
	if jars, _ := filepath.Glob(filepath.Join(libs, "kafka_2.13-*.jar")); len(jars) == 0 {
		t.Fatalf("no Kafka jars in %s: run `make up` once", libs)
	}
	dir := t.TempDir()
	data, logs := filepath.Join(dir, "data"), filepath.Join(dir, "logs")
	for _, d := range []string{data, logs, filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	port, controller := freePort(t), freePort(t)
	tmpl, err := os.ReadFile(filepath.Join(root, "platform", "kafka", "server.properties.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer("@KAFKA_PORT@", strconv.Itoa(port), "@KAFKA_CONTROLLER_PORT@", strconv.Itoa(controller),
		"@KAFKA_PARTITIONS@", "6", "@KAFKA_DATA_DIR@", data).Replace(string(tmpl))
	cfgPath := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	jvm := []string{"-Dlog4j2.configurationFile=" + filepath.Join(root, "platform", "kafka", "log4j2.properties"),
		"-Dkafka.logs.dir=" + logs, "-Djava.io.tmpdir=" + filepath.Join(dir, "tmp"), "-cp", filepath.Join(libs, "*")}

	var id [16]byte
	rand.Read(id[:])
	id[0] &= 0x7f // never a leading '-' in the id
	format := exec.Command("java", append([]string{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"}, append(jvm,
		"kafka.tools.StorageTool", "format", "-t", base64.RawURLEncoding.EncodeToString(id[:]), "-c", cfgPath, "--standalone")...)...)
	if out, err := format.CombinedOutput(); err != nil {
		t.Fatalf("format a fresh Kafka: %v\n%s", err, out)
	}

	out, err := os.Create(filepath.Join(logs, "kafka.out"))
	if err != nil {
		t.Fatal(err)
	}
	broker := exec.Command("java", append([]string{"-Xms256m", "-Xmx512m", "-XX:+UseSerialGC"}, append(jvm, "kafka.Kafka", cfgPath)...)...)
	broker.Stdout, broker.Stderr = out, out
	broker.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := broker.Start(); err != nil {
		t.Fatalf("start a fresh Kafka: %v", err)
	}
	exited := make(chan struct{})
	go func() { broker.Wait(); out.Close(); close(exited) }()
	t.Cleanup(func() {
		broker.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			broker.Process.Kill()
			<-exited
		}
	})

	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := kafkax.Ping(ctx, []string{addr})
		cancel()
		if err == nil {
			return addr
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(filepath.Join(logs, "server.log"))
			t.Fatalf("the fresh Kafka exited; server.log ends:\n%s", tailOf(string(b), 3000))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fresh Kafka did not answer within 2 minutes (logs in %s)", logs)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// repoRoot is $TENSION_REPO, else the nearest directory above holding go.work.
func repoRoot(t *testing.T) string {
	t.Helper()
	if r := os.Getenv("TENSION_REPO"); r != "" {
		return r
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the working directory; set TENSION_REPO")
		}
		dir = parent
	}
}

func tailOf(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
