//go:build unix

package tageval

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used: benchmarks report MB per
// CPU-second beside MB per second, which a busy machine inflates less.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
