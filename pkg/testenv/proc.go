package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrProcStat is returned for a /proc/PID/stat that does not have the
// fields ParseProcStat reads.
var ErrProcStat = errors.New("testenv: malformed /proc/PID/stat")

// userHZ is the clock tick /proc counts CPU time in: 100 on every Linux ABI
// Go supports (sysconf(_SC_CLK_TCK)).
const userHZ = 100

// ProcStat is what a benchmark or drill reads of another process (a server
// of the local platform, a service it started) from /proc/PID/stat.
type ProcStat struct {
	// State is the process's state letter: R running, S sleeping, T
	// stopped (SIGSTOP), Z zombie…
	State string
	// User and System are the CPU time all its threads have used, in user
	// space and in the kernel. A server's kernel share says whether it was
	// computing or waiting on the filesystem (docs/performance.md).
	User, System time.Duration
}

// CPU is the process's CPU time, user and kernel; the largest duration
// when the sum does not fit (ticks saturate each part at it).
func (p ProcStat) CPU() time.Duration {
	if p.User > 1<<63-1-p.System {
		return 1<<63 - 1
	}
	return p.User + p.System
}

// ParseProcStat reads the state, utime and stime of a /proc/PID/stat line.
// The command name (field 2) is in parentheses and may hold spaces and
// parentheses itself, so the fields are counted from its last ')'.
func ParseProcStat(data []byte) (ProcStat, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return ProcStat{}, fmt.Errorf("%w: no command name", ErrProcStat)
	}
	// After the name: state (field 3), …, utime (14), stime (15).
	f := strings.Fields(string(data[end+1:]))
	if len(f) < 13 {
		return ProcStat{}, fmt.Errorf("%w: %d fields after the command name, want 13 or more", ErrProcStat, len(f))
	}
	user, err1 := strconv.ParseUint(f[11], 10, 63)
	system, err2 := strconv.ParseUint(f[12], 10, 63)
	if err1 != nil || err2 != nil {
		return ProcStat{}, fmt.Errorf("%w: utime %q, stime %q", ErrProcStat, f[11], f[12])
	}
	return ProcStat{State: f[0], User: ticks(user), System: ticks(system)}, nil
}

// ticks is n clock ticks as a duration; past what a duration holds (292
// years) it is the largest one.
func ticks(n uint64) time.Duration {
	const most = uint64(1<<63-1) / uint64(time.Second/userHZ)
	if n > most {
		return 1<<63 - 1
	}
	return time.Duration(n) * (time.Second / userHZ)
}

// ReadProcStat reads /proc/PID/stat of process pid.
func ReadProcStat(pid int) (ProcStat, error) {
	if pid <= 0 {
		return ProcStat{}, fmt.Errorf("testenv: no process %d", pid)
	}
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return ProcStat{}, err
	}
	p, err := ParseProcStat(data)
	if err != nil {
		return ProcStat{}, fmt.Errorf("process %d: %w", pid, err)
	}
	return p, nil
}

// PidFile returns the pid a pid file holds (scripts/platform.sh and
// scripts/cluster.sh keep one per server) if that process is running.
func PidFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("testenv: %s holds %q, not a pid", path, bytes.TrimSpace(data))
	}
	if _, err := ReadProcStat(pid); err != nil {
		return 0, fmt.Errorf("testenv: %s names process %d, which is gone: %w", path, pid, err)
	}
	return pid, nil
}

// LoadAverage is the machine's 1, 5 and 15 minute load averages
// ("0.52 0.60 0.71"), printed beside a benchmark's figures to say how much
// of the machine other work took; "unknown" where /proc/loadavg is not.
func LoadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return formatLoad(data)
}

// formatLoad is the first three fields of a /proc/loadavg line.
func formatLoad(data []byte) string {
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
