//go:build unix

package testenv

import (
	"syscall"
	"time"
)

// SelfCPU is the CPU time this process has used, every thread's (the
// garbage collector's too), user and kernel: benchmarks report work per
// CPU-second beside work per second, which a busy machine inflates less.
func SelfCPU() time.Duration { return rusage(syscall.RUSAGE_SELF) }

// ChildrenCPU is the CPU time of this process's children that have exited
// and been waited for (a benchmark's clickhouse-client or load generator).
func ChildrenCPU() time.Duration { return rusage(syscall.RUSAGE_CHILDREN) }

// rusage is who's user and system time; 0 if the system refuses, which
// getrusage does only for an unknown who.
func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(who, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
