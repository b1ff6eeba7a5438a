//go:build testhooks

package main

import (
	"log/slog"
	"os"
	"strconv"
	"syscall"

	"github.com/tension-dev/tension/services/sink/internal/sink"
)

// testHooks installs the hooks the e2e tests drive through the environment.
// Built only with the testhooks tag (the e2e tests build their binaries with
// it); a production sink has none (testhooks_off.go).
//
// SINK_TEST_KILL_AFTER_JOURNAL=n: SIGKILL this process right after the n-th
// journal block is written, before its index updates are published.
//
// SINK_TEST_STOP_BEFORE_JOURNAL=n: SIGSTOP this process right before every
// n-th journal insert, after it read the ledger for that batch: the test
// resumes it (SIGCONT) after its partitions went to another sink, and it
// flushes a batch it no longer owns — a zombie.
func testHooks(cfg *sink.Config, getenv func(string) string, logger *slog.Logger) {
	if n, _ := strconv.Atoi(getenv("SINK_TEST_STOP_BEFORE_JOURNAL")); n > 0 {
		inserts := 0
		cfg.BeforeJournal = func() {
			if inserts++; inserts%n == 0 {
				logger.Warn("test hook: SIGSTOP before journal insert", "insert", inserts)
				syscall.Kill(os.Getpid(), syscall.SIGSTOP)
				logger.Warn("test hook: resumed; inserting a journal block read before the pause")
			}
		}
	}
	n, _ := strconv.Atoi(getenv("SINK_TEST_KILL_AFTER_JOURNAL"))
	if n <= 0 {
		return
	}
	blocks := 0
	cfg.AfterJournal = func() {
		if blocks++; blocks == n {
			logger.Warn("test hook: SIGKILL after journal insert, before index publish", "block", blocks)
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
}
