//go:build !testhooks

package main

import "github.com/tension-dev/tension/pkg/flagenv"

// testFlags defines no flags in a production build: -test-score-scale
// exists only with the testhooks build tag (testhooks.go).
func testFlags(*flagenv.Set) (scoreScale func() float64) {
	return func() float64 { return 0 }
}
