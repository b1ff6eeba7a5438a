package tension

import "time"

// RollupSep separates the parts of the key of a ranked list's rollup row
// (the journal's kinds 'entity' and 'cue', migration 0010).
const RollupSep = "\x1f"

// RollupPrefix is the start of the key of every rollup row of a pair and
// view on a day: pair, view and the day's date (YYYYMMDD, UTC). The
// journal's sorting key starts with kind and key, so the rows of a range of
// days of one list are one contiguous run of it. The sink writes these
// keys and the query service reads ranges of them.
func RollupPrefix(pair, view string, day time.Time) string {
	return pair + RollupSep + view + RollupSep + day.UTC().Format("20060102") + RollupSep
}
