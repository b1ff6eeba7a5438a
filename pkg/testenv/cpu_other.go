//go:build !unix

package testenv

import "time"

// SelfCPU is 0 where the system keeps no resource usage (not a Unix):
// benchmarks then print wall-clock figures only.
func SelfCPU() time.Duration { return 0 }

// ChildrenCPU is 0 where the system keeps no resource usage (not a Unix).
func ChildrenCPU() time.Duration { return 0 }
