package tagger

import "sync"

// StateMediaSource is the Cue.Source of a cue spoken by state media named
// only as such ("state media said", 官媒称).
const StateMediaSource = "state media"

// IsStateMedia reports whether a cue's Source is state media: an outlet the
// gazetteer lists with speaker STATE (Xinhua, Global Times, Yuyuan
// Tantian …) or StateMediaSource. Cue.SourceType says MEDIA for every outlet
// (the public contract, docs/design.md §3.4); the index's split by source
// type (pkg/tension, SourceClass) tells state media from the press with
// this.
func IsStateMedia(source string) bool {
	return source == StateMediaSource || stateMediaNames()[source]
}

// stateMediaNames reads the canonical names with speaker STATE from the
// embedded gazetteer once; the data are validated by New, so a line that
// does not parse here is skipped, not fatal.
var stateMediaNames = sync.OnceValue(func() map[string]bool {
	names := map[string]bool{}
	_ = eachLine("gazetteer.tsv", func(f []string) error {
		if len(f) >= 4 && f[3] == "STATE" {
			names[f[0]] = true
		}
		return nil
	})
	return names
})
