package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// workModules returns the modules go.work lists: the one module list the
// Makefile, the Dockerfile and the scripts derive from.
func workModules(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../go.work")
	if err != nil {
		t.Fatal(err)
	}
	var mods []string
	for _, m := range regexp.MustCompile(`(?m)^\s*\./(\S+)\s*$`).FindAllStringSubmatch(string(b), -1) {
		mods = append(mods, m[1])
	}
	if len(mods) == 0 {
		t.Fatal("go.work lists no modules")
	}
	return mods
}

// TestEveryModuleInGoWork: every go.mod of the repository is in go.work
// (so `make test`, `make lint` and integration.sh cover it), and the
// scripts read the list rather than keeping their own.
func TestEveryModuleInGoWork(t *testing.T) {
	listed := map[string]bool{}
	for _, m := range workModules(t) {
		listed[m] = true
	}
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".local" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if d.Name() == "go.mod" {
			dir, _ := filepath.Rel("..", filepath.Dir(path))
			if !listed[filepath.ToSlash(dir)] {
				t.Errorf("%s has a go.mod but is not in go.work", dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"../Makefile", "../scripts/integration.sh"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "go.work") || strings.Contains(string(b), "services/tension-watch") {
			t.Errorf("%s must derive its module list from go.work, not list modules itself", f)
		}
	}
}

// TestOneVersionPerDependency: a dependency required by several modules is
// required at the same version by all of them.
func TestOneVersionPerDependency(t *testing.T) {
	req := regexp.MustCompile(`(?m)^\s*(?:require\s+)?([\w.\-]+\.[\w.\-/]+)\s+(v\S+)`)
	versions := map[string]map[string][]string{} // module path -> version -> requiring modules
	for _, m := range workModules(t) {
		b, err := os.ReadFile(filepath.Join("..", m, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range req.FindAllStringSubmatch(string(b), -1) {
			if strings.HasPrefix(r[1], "github.com/tension-dev/") {
				continue
			}
			if versions[r[1]] == nil {
				versions[r[1]] = map[string][]string{}
			}
			versions[r[1]][r[2]] = append(versions[r[1]][r[2]], m)
		}
	}
	var paths []string
	for p := range versions {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if len(versions[p]) > 1 {
			t.Errorf("%s is required at several versions: %v", p, versions[p])
		}
	}
	if len(paths) < 10 {
		t.Fatalf("parsed only %d dependencies", len(paths))
	}
}
