//go:build testhooks

package tagger

import (
	"fmt"
	"os"
)

// debugOn (env TAGGER_DEBUG) prints salience and dyad sums to stderr while
// tuning the data; callers check it before formatting. Built only with the
// testhooks tag (go test -tags testhooks): production binaries read no
// debug switch from the environment (debug_off.go).
var debugOn = os.Getenv("TAGGER_DEBUG") != ""

func debugf(format string, args ...any) {
	if debugOn {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}
}
