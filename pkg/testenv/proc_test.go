package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	for _, c := range []struct {
		name string
		line string
		want ProcStat
		err  bool
	}{
		{name: "server",
			line: "4242 (clickhouse-serv) S 1 4242 4242 0 -1 4194560 9931 0 0 0 1234 567 0 0 20 0 41 0 1733 1020 77 18446744073709551615\n",
			want: ProcStat{State: "S", User: 12340 * time.Millisecond, System: 5670 * time.Millisecond}},
		{name: "a command name with spaces and parentheses",
			line: "7 (a) b (c)) T 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5 6 7",
			want: ProcStat{State: "T", User: 30 * time.Millisecond, System: 40 * time.Millisecond}},
		{name: "no command name", line: "7 a S 1 7 7 0 -1 0 0 0 0 0 3 4", err: true},
		{name: "too few fields", line: "7 (a) S 1 7 7 0 -1 0 0 0 0 0 3", err: true},
		{name: "negative utime", line: "7 (a) S 1 7 7 0 -1 0 0 0 0 0 -3 4", err: true},
		{name: "utime not a number", line: "7 (a) S 1 7 7 0 -1 0 0 0 0 0 x 4", err: true},
		{name: "ticks past a duration", line: "7 (a) R 1 7 7 0 -1 0 0 0 0 0 9223372036854775807 0",
			want: ProcStat{State: "R", User: 1<<63 - 1}},
		{name: "empty", line: "", err: true},
		{name: "both past a duration", line: "7 (a) R 1 7 7 0 -1 0 0 0 0 0 9223372036854775807 9223372036854775807 0",
			want: ProcStat{State: "R", User: 1<<63 - 1, System: 1<<63 - 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseProcStat([]byte(c.line))
			if c.err {
				if !errors.Is(err, ErrProcStat) {
					t.Fatalf("got %+v, %v; want ErrProcStat", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
			if got.CPU() < got.User || got.CPU() < got.System {
				t.Fatalf("CPU() = %v, less than a part of %+v", got.CPU(), got)
			}
		})
	}
}

// FuzzParseProcStat: any line is read or refused with ErrProcStat, and a
// line that is read has no negative CPU time.
func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("4242 (clickhouse-serv) S 1 4242 4242 0 -1 4194560 9931 0 0 0 1234 567 0 0 20 0 41 0"))
	f.Add([]byte("7 (a) b (c)) T 1 7 7 0 -1 0 0 0 0 0 3 4"))
	f.Add([]byte(")"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProcStat(data)
		if err != nil {
			if !errors.Is(err, ErrProcStat) {
				t.Fatalf("error %v is not ErrProcStat", err)
			}
			return
		}
		if p.User < 0 || p.System < 0 || p.CPU() < p.User || p.State == "" {
			t.Fatalf("read %+v", p)
		}
	})
}

// This process is running and has used some CPU; /proc is where the
// project's machines keep it (Linux).
func TestReadProcStatSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Fatalf("this test reads /proc (Linux): %v", err)
	}
	_ = burn(20 * time.Millisecond)
	p, err := ReadProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if p.State != "R" && p.State != "S" {
		t.Errorf("state %q, want R or S", p.State)
	}
	if p.CPU() <= 0 {
		t.Errorf("CPU %v after burning CPU", p.CPU())
	}
	if _, err := ReadProcStat(0); err == nil {
		t.Error("pid 0 read")
	}
}

func TestPidFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	self := os.Getpid()
	if pid, err := PidFile(write("self.pid", strconv.Itoa(self)+"\n")); err != nil || pid != self {
		t.Errorf("own pid file: %d, %v; want %d", pid, err, self)
	}
	for name, content := range map[string]string{"empty": "", "words": "kafka\n", "zero": "0", "negative": "-4",
		"gone": "2147483646"} { // above pid_max, which is at most 2^22
		if pid, err := PidFile(write(name+".pid", content)); err == nil {
			t.Errorf("%s: pid %d, want an error", name, pid)
		}
	}
	if _, err := PidFile(filepath.Join(dir, "missing.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestFormatLoad(t *testing.T) {
	for in, want := range map[string]string{
		"0.52 0.60 0.71 2/345 6789\n": "0.52 0.60 0.71",
		"0.52 0.60":                   "unknown",
		"":                            "unknown",
	} {
		if got := formatLoad([]byte(in)); got != want {
			t.Errorf("formatLoad(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSelfCPU(t *testing.T) {
	before := SelfCPU()
	_ = burn(30 * time.Millisecond)
	if used := SelfCPU() - before; used <= 0 {
		t.Errorf("SelfCPU moved %v across 30 ms of work", used)
	}
}

// burn keeps one core busy for d of wall time; its result keeps the loop
// from being optimised away.
func burn(d time.Duration) uint64 {
	x := uint64(1)
	for end := time.Now().Add(d); time.Now().Before(end); {
		for range 1000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}
