//go:build !testhooks

package main

import (
	"log/slog"

	"github.com/tension-dev/tension/services/sink/internal/sink"
)

// testHooks does nothing in a production build: the e2e hooks (testhooks.go)
// exist only with the testhooks build tag.
func testHooks(*sink.Config, func(string) string, *slog.Logger) {}
