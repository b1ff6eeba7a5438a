package admin

import (
	"io"
	"testing"

	"github.com/tension-dev/tension/pkg/flagenv"
)

func TestMemoryLimitLeavesGOMEMLIMITToGo(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if got := MemoryLimit(getenv, DefaultMemoryLimit); got != DefaultMemoryLimit {
		t.Fatalf("MemoryLimit = %d, want %d", got, DefaultMemoryLimit)
	}
	env["GOMEMLIMIT"] = "2GiB"
	if got := MemoryLimit(getenv, DefaultMemoryLimit); got != 0 {
		t.Fatalf("MemoryLimit with GOMEMLIMIT set = %d, want 0", got)
	}
}

// TestDefineRuntimeFlags: the service's default, its variables and flags,
// and Go's own variables taking over.
func TestDefineRuntimeFlags(t *testing.T) {
	for _, tc := range []struct {
		name             string
		env              map[string]string
		args             []string
		limit, gcPercent int
	}{
		{"defaults", nil, nil, 3 << 20, DefaultGCPercent},
		{"service variables", map[string]string{"SVC_MEMORY_LIMIT": "1000", "SVC_GC_PERCENT": "150"}, nil, 1000, 150},
		{"flags win", map[string]string{"SVC_MEMORY_LIMIT": "1000"}, []string{"-memory-limit", "2000", "-gc-percent", "0"}, 2000, 0},
		{"Go's variables", map[string]string{"GOMEMLIMIT": "1GiB", "GOGC": "50"}, nil, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			fs := flagenv.New("svc", getenv, io.Discard)
			r := DefineRuntimeFlags(fs, "SVC", getenv, 3<<20)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if *r.limit != tc.limit || *r.gcPercent != tc.gcPercent {
				t.Errorf("limit %d, gc percent %d; want %d, %d", *r.limit, *r.gcPercent, tc.limit, tc.gcPercent)
			}
		})
	}
}
