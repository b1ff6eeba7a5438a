package store

import "slices"

// SortedIDs returns ids in compareUUID's order (the articles table's).
func SortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.SortFunc(out, compareUUID)
	return out
}
