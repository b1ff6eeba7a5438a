//go:build !testhooks

package tagger

// debugOn is false in production builds: the TAGGER_DEBUG switch exists only
// with the testhooks build tag (debug.go).
const debugOn = false

func debugf(string, ...any) {}
