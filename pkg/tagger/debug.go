package tagger

import (
	"fmt"
	"os"
)

var debugOn = os.Getenv("TAGGER_DEBUG") != ""

func debugf(format string, args ...any) {
	if debugOn {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}
}
