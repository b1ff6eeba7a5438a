package admin

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

// DefaultGCPercent is the GOGC of the services that hold batches (sink,
// enricher): a heap may grow to 4× what is live before a collection, which
// cut the sink's CPU by ~15 % in `make bench-sink` (the collector marked
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
