package admin

import "testing"

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
