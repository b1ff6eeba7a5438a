package event

import (
	"fmt"
	"strconv"
)

// Tagger versions and their precedence (docs/design.md §5). A tagger
// version is a name with up to three numbers — "tagger-1.4.2", "v2",
// "tagger-2025.06.01" — and versions take precedence by those numbers,
// major, minor, patch (a missing one is 0), compared as numbers: an
// article's current view is its highest version, whatever order the
// versions arrive in. The journal (CompareTaggerVersions), the raw tables
// (their ReplacingMergeTree `version` column holds TaggerPrecedence) and
// rebuild (argMax by that column) apply the same rule. Two different
// versions with the same numbers cannot be ordered: the sink refuses the
// second one for an article (DLQ), so give every tagger release its own
// numbers.
const maxTaggerVersionLen = 64

// Bits of each number in TaggerPrecedence, below the top bit.
const (
	majorBits = 25 // 33,554,431: room for dates as versions (20250601)
	minorBits = 19
	patchBits = 19
)

// rankedBit is set in every precedence: rows the raw tables got before
// precedences were stored carry their enrichment time in milliseconds
// (below 2^42) as version, and every ranked row outranks them.
const rankedBit = uint64(1) << 63

// TaggerPrecedence is the rank of a tagger version: a higher version has a
// higher rank. The error says why v is not a tagger version: empty, longer
// than 64 bytes, more than three numbers, or a number too large.
func TaggerPrecedence(v string) (uint64, error) {
	nums, err := taggerNumbers(v)
	if err != nil {
		return 0, err
	}
	return rankedBit | nums[0]<<(minorBits+patchBits) | nums[1]<<patchBits | nums[2], nil
}

// CompareTaggerVersions orders two tagger versions by precedence: -1 when
// a is lower, +1 when higher, 0 when their numbers are equal. An invalid
// version (which ValidateEnriched refuses) is lower than every valid one.
func CompareTaggerVersions(a, b string) int {
	pa, ea := TaggerPrecedence(a)
	pb, eb := TaggerPrecedence(b)
	switch {
	case ea != nil || eb != nil:
		return boolCmp(ea == nil, eb == nil)
	case pa < pb:
		return -1
	case pa > pb:
		return 1
	}
	return 0
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func taggerNumbers(v string) ([3]uint64, error) {
	var nums [3]uint64
	switch {
	case v == "":
		return nums, fmt.Errorf("tagger_version is empty")
	case len(v) > maxTaggerVersionLen:
		return nums, fmt.Errorf("tagger_version is longer than %d bytes", maxTaggerVersionLen)
	}
	limits := [3]uint64{1<<majorBits - 1, 1<<minorBits - 1, 1<<patchBits - 1}
	n := 0
	for i := 0; i < len(v); {
		if !isDigit(v[i]) {
			i++
			continue
		}
		j := i
		for j < len(v) && isDigit(v[j]) {
			j++
		}
		if n == len(nums) {
			return nums, fmt.Errorf("tagger_version %q has more than three numbers (name-major.minor.patch)", v)
		}
		x, err := strconv.ParseUint(v[i:j], 10, 64)
		if err != nil || x > limits[n] {
			return nums, fmt.Errorf("tagger_version %q: number %s is larger than %d", v, v[i:j], limits[n])
		}
		nums[n] = x
		n++
		i = j
	}
	return nums, nil
}
