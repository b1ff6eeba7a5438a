package admin

import (
	"fmt"
	"runtime/debug"

	"github.com/tension-dev/tension/pkg/flagenv"
)

// DefaultMemoryLimit is the Go soft memory limit (runtime/debug) the
// enricher takes by default. It holds ~200 MiB live at the peak of a batch
// of 1 MB articles at its default batching; without a limit the heap grows
// to several times that before Go collects (GOGC 300), and big freed
// buffers linger. Measured by `make bench-memory`.
const DefaultMemoryLimit = 512 << 20

// MemoryLimit is the default of a -memory-limit flag: def, or 0 (leave it
// to Go) when GOMEMLIMIT, Go's own setting, is in the environment.
func MemoryLimit(getenv func(string) string, def int) int {
	if getenv("GOMEMLIMIT") != "" {
		return 0
	}
	return def
}

// DefaultGCPercent is the GOGC of the services that hold batches or
// request bodies (sink, enricher, ingest): a heap may grow to 4× what is
// live before a collection, which cut the sink's CPU by ~15 % in `make bench-sink` (the collector marked
// the same batch over and over), and the soft memory limit still bounds
// the peak: near it, Go collects as often as it must.
const DefaultGCPercent = 300

// GCPercent is the default of a -gc-percent flag: DefaultGCPercent, or 0
// (leave it to Go) when GOGC, Go's own setting, is in the environment.
func GCPercent(getenv func(string) string) int {
	if getenv("GOGC") != "" {
		return 0
	}
	return DefaultGCPercent
}

// Runtime is a service's Go memory settings as flags: -memory-limit and
// -gc-percent (<PREFIX>_MEMORY_LIMIT, <PREFIX>_GC_PERCENT), which give way
// to Go's own GOMEMLIMIT and GOGC when those are in the environment. One
// definition for every service that holds batches or request bodies.
type Runtime struct {
	limit, gcPercent *int
}

// DefineRuntimeFlags defines the memory flags with limit as the default
// soft memory limit in bytes.
func DefineRuntimeFlags(fs *flagenv.Set, prefix string, getenv func(string) string, limit int) Runtime {
	return Runtime{
		limit: fs.Int("memory-limit", prefix+"_MEMORY_LIMIT", MemoryLimit(getenv, limit),
			fmt.Sprintf("Go soft memory limit in bytes (0 = none; default %d MiB unless GOMEMLIMIT is set)", limit>>20)),
		gcPercent: fs.Int("gc-percent", prefix+"_GC_PERCENT", GCPercent(getenv),
			"Go's GOGC: how far the heap grows past what is live before a collection, in percent (0 = Go's default or GOGC; default 300 unless GOGC is set; the memory limit still bounds it)"),
	}
}

// Apply sets the parsed settings in the Go runtime; a zero leaves Go's.
func (r Runtime) Apply() {
	if *r.limit > 0 {
		debug.SetMemoryLimit(int64(*r.limit))
	}
	if *r.gcPercent > 0 {
		debug.SetGCPercent(*r.gcPercent)
	}
}
