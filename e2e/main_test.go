package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// services are the binaries the e2e tests run.
var services = []string{"ingest", "enricher", "sink", "query", "backfill", "loadgen", "tension-watch", "follow"}

// builtBin is where TestMain built the binaries (with the testhooks tag);
// empty outside integration runs.
var builtBin string

// TestMain builds every service with the testhooks build tag, which adds
// the hooks these tests drive (the sink's SIGKILL after a journal block,
// reprocess -test-score-scale) and which production builds (`make build`,
// bin/) never contain. TENSION_BIN may name a directory of binaries already
// built with that tag instead.
func TestMain(m *testing.M) {
	if os.Getenv("TENSION_INTEGRATION") == "1" && os.Getenv("TENSION_BIN") == "" {
		dir, err := os.MkdirTemp("", "tension-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			os.Exit(1)
		}
		if err := buildServices(dir); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
		builtBin = dir
		code := m.Run()
		os.RemoveAll(dir)
		os.RemoveAll(prodBin)
		os.Exit(code)
	}
	code := m.Run()
	if prodBin != "" {
		os.RemoveAll(prodBin)
	}
	os.Exit(code)
}

// buildServices runs `go build -tags testhooks` for every service into dir.
func buildServices(dir string) error { return buildServicesTags(dir, "testhooks") }

// buildServicesTags builds every service with tags into dir, from the
// repository root (the workspace spans the modules).
func buildServicesTags(dir, tags string) error {
	root, err := filepath.Abs("..")
	if err != nil {
		return err
	}
	args := []string{"build", "-tags", tags, "-o", dir + string(filepath.Separator)}
	for _, s := range services {
		args = append(args, "./services/"+s)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build -tags %q: %w", tags, err)
	}
	return nil
}
