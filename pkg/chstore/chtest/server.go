package chtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore"
)

// Server is a private ClickHouse server a test starts for itself, from the
// local platform's config and users templates (platform/clickhouse), on
// free ports: for tests that stop or stall a server (SIGSTOP), which must
// not touch the shared one.
type Server struct {
	Addr   string
	Writer chstore.Config // the tension user
	Reader chstore.Config // the read-only tension_query user
	cmd    *exec.Cmd
}

// StartServer starts a private clickhouse-server and waits until it answers;
// it is killed at cleanup.
func StartServer(t testing.TB) *Server {
	t.Helper()
	Integration(t)
	bin, err := exec.LookPath("clickhouse-server")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/clickhouse-server"); err != nil {
			t.Fatalf("clickhouse-server not installed: run `make up` once (it installs it)")
		}
	}
	root := RepoRoot()
	dir := t.TempDir()
	for _, d := range []string{"data", "logs", "tmp"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
	}
	tcp, http := freePort(t), freePort(t)
	writerPW, readerPW := randomPassword(), randomPassword()
	render(t, filepath.Join(root, "platform/clickhouse/config.xml.tmpl"), filepath.Join(dir, "config.xml"),
		"@CH_DIR@", dir, "@CLICKHOUSE_TCP_PORT@", strconv.Itoa(tcp), "@CLICKHOUSE_HTTP_PORT@", strconv.Itoa(http))
	render(t, filepath.Join(root, "platform/clickhouse/users.xml.tmpl"), filepath.Join(dir, "users.xml"),
		"@TENSION_PASSWORD_SHA256@", sha(writerPW), "@TENSION_QUERY_PASSWORD_SHA256@", sha(readerPW))
	cmd := exec.Command(bin, "--config-file="+filepath.Join(dir, "config.xml"))
	cmd.Dir = dir
	logf, err := os.Create(filepath.Join(dir, "logs", "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start clickhouse-server: %v", err)
	}
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", tcp), cmd: cmd}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	s.Writer = chstore.Config{Addr: s.Addr, Database: "default", Username: chstore.DefaultWriterUser, Password: writerPW}
	s.Reader = chstore.Config{Addr: s.Addr, Database: "default", Username: chstore.DefaultReaderUser, Password: readerPW}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := chstore.Connect(ctx, s.Writer)
		cancel()
		if err == nil {
			conn.Close()
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "logs", "clickhouse-server.err.log"))
			t.Fatalf("private ClickHouse did not answer within 2 min: %v\n%s", err, tailString(string(log), 2000))
		}
	}
}

// Stop stalls the server (SIGSTOP): connections stay open, nothing answers.
func (s *Server) Stop() error { return s.cmd.Process.Signal(syscall.SIGSTOP) }

// Continue resumes a stalled server (SIGCONT).
func (s *Server) Continue() error { return s.cmd.Process.Signal(syscall.SIGCONT) }

func render(t testing.TB, tmpl, out string, kv ...string) {
	t.Helper()
	b, err := os.ReadFile(tmpl)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	s := strings.NewReplacer(kv...).Replace(string(b))
	if err := os.WriteFile(out, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func randomPassword() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
