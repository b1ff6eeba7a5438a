package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run this test binary as the enricher command itself
// (ENRICHER_TEST_MAIN=1), to send it real signals.
func TestMain(m *testing.M) {
	if os.Getenv("ENRICHER_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestTagHonoursSIGTERM: `enricher tag` waiting for input stops promptly on
// SIGTERM, after writing the lines it has tagged.
func TestTagHonoursSIGTERM(t *testing.T) {
	cmd := exec.Command(os.Args[0], "tag")
	cmd.Env = append(os.Environ(), "ENRICHER_TEST_MAIN=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if _, err := io.WriteString(stdin, `{"id":"a","text":"Washington raised tariffs on Chinese goods."}`+"\n"); err != nil {
		t.Fatal(err)
	}
	// stdin stays open: once the line is out, the command waits for the next
	r := bufio.NewReader(stdout)
	first, err := r.ReadString('\n')
	if err != nil || !strings.Contains(first, `"id":"a"`) {
		t.Fatalf("first output line %q, %v", first, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(r)
		rest <- string(b)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("enricher tag did not exit within 10 s of SIGTERM")
	}
	if out := <-rest; out != "" {
		t.Errorf("output after SIGTERM = %q, want nothing more", out)
	}
}
