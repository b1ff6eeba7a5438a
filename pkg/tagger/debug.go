package tagger

import (
	"fmt"
	"os"
)

// debugOn (env TAGGER_DEBUG) prints salience and dyad sums to stderr while
// tuning the data; callers check it before formatting.
var debugOn = os.Getenv("TAGGER_DEBUG") != ""

func debugf(format string, args ...any) {
	if debugOn {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}
}
