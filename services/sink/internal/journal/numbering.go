package journal

import "slices"

// numbering gives distinct values small numbers in the order they come
// (0, 1, 2, …). The builder keys its sums by the numbers of their scopes
// and items, so that summing hashes and compares numbers, not strings, and
// sorts the rows by the values' ranks (ranks) instead of comparing the
// strings of every row.
type numbering[K comparable] struct {
	values []K // by number
	number map[K]int32
}

func newNumbering[K comparable]() numbering[K] { return numbering[K]{number: map[K]int32{}} }

// of returns k's number, giving it the next one when new.
func (n *numbering[K]) of(k K) int32 {
	i, ok := n.number[k]
	if !ok {
		i = int32(len(n.values))
		n.values = append(n.values, k)
		n.number[k] = i
	}
	return i
}

// len is the number of distinct values.
func (n *numbering[K]) len() int { return len(n.values) }

// ranks returns, by number, each value's place in the order compare sorts
// the values.
func (n *numbering[K]) ranks(compare func(a, b *K) int) []int32 {
	order := make([]int32, len(n.values))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, c int32) int { return compare(&n.values[a], &n.values[c]) })
	rank := make([]int32, len(n.values))
	for r, i := range order {
		rank[i] = int32(r)
	}
	return rank
}
