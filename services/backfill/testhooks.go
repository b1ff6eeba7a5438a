//go:build testhooks

package main

import "github.com/tension-dev/tension/pkg/flagenv"

// testFlags defines the flags only the e2e tests use. Built only with the
// testhooks tag (the e2e tests build their binaries with it); a production
// backfill does not know them (testhooks_off.go).
//
// -test-score-scale multiplies every dyad score, to simulate a tagger that
// scores differently.
func testFlags(fs *flagenv.Set) (scoreScale func() float64) {
	scale := fs.FlagSet.Float64("test-score-scale", 0, "TEST ONLY: multiply every dyad score, to simulate a tagger that scores differently")
	return func() float64 { return *scale }
}
