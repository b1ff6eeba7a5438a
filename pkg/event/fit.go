package event

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// FitTags encodes e so that its record (key, the value, no headers) takes
// at most limit bytes, cutting the tag lists when the whole does not fit:
//
//  1. every dyad is kept with its score and direction; if even the dyads
//     without their cues do not fit, the weakest (smallest |tension|) are
//     left out, and with them their part of the index;
//  2. the room left is shared by entity mentions (the first ones in the
//     text) and cues (the heaviest ones, over all dyads): each gets half,
//     and what one does not need goes to the other;
//  3. a dyad whose cues were cut carries cue_count and cue_weight, so the
//     index counts every cue the tagger found (Dyad.TotalWeight), and
//     Tags.Cut says how many of each were left out.
//
// Cutting is deterministic: the same article and tags give the same record.
// The error is a *SizeError when the article alone (with empty lists) is
// over the limit. e is updated to what was encoded.
func FitTags(e *Enriched, key []byte, limit int) ([]byte, error) {
	value, err := marshalEnriched(e)
	if err != nil {
		return nil, fmt.Errorf("encode enriched article: %w", err)
	}
	if RecordSize(key, value, nil) <= limit {
		return value, nil
	}
	room, err := roomForLists(e, key, limit)
	if err != nil {
		return nil, err
	}
	full := e.Tags
	dyads, droppedDyads := fitDyads(full.Dyads, &room)
	entities, cues := shareRoom(full.Entities, dyads, room)

	cut := Cut{Entities: len(full.Entities) - len(entities), Dyads: droppedDyads}
	kept := make([]Dyad, len(dyads))
	for i, d := range dyads {
		kept[i] = d
		kept[i].Cues = cues[i]
		if n := len(d.Cues) - len(cues[i]); n > 0 {
			cut.Cues += n
			kept[i].CueCount, kept[i].CueWeight = d.TotalCues(), d.TotalWeight()
		}
	}
	e.Entities, e.Dyads, e.Cut = entities, kept, &cut
	if value, err = marshalEnriched(e); err != nil {
		return nil, fmt.Errorf("encode enriched article: %w", err)
	}
	if n := RecordSize(key, value, nil); n > limit { // the estimates are upper bounds: a bug if reached
		return nil, &SizeError{What: "enriched article (tags cut)", Size: n, Limit: limit}
	}
	return value, nil
}

// worstCut is the widest Cut: room for it is kept before the lists are
// filled (counts cannot reach 10^7 in a record of 10^6 bytes).
var worstCut = Cut{Entities: 9_999_999, Cues: 9_999_999, Dyads: 9_999_999}

// roomForLists is what the entity, dyad and cue lists may take: the limit
// less the record with all three empty and the widest Cut.
func roomForLists(e *Enriched, key []byte, limit int) (int, error) {
	bare := *e
	bare.Entities, bare.Dyads, bare.Cut = []Entity{}, []Dyad{}, &worstCut
	v, err := marshalEnriched(&bare)
	if err != nil {
		return 0, fmt.Errorf("encode enriched article: %w", err)
	}
	n := RecordSize(key, v, nil)
	if n > limit {
		return 0, &SizeError{What: "enriched article", Size: n, Limit: limit}
	}
	return limit - n, nil
}

// The encoded size of an entity, cue or dyad plus one byte for the comma
// before it (the record encoded: the floats are finite).
func entitySize(buf []byte, en *Entity) ([]byte, int) {
	buf = appendEntity(buf[:0], en, true)
	return buf, len(buf) + 1
}

func cueSize(buf []byte, c *Cue) ([]byte, int) {
	buf, _ = appendCue(buf[:0], c, true)
	return buf, len(buf) + 1
}

func dyadSize(buf []byte, d *Dyad) ([]byte, int) {
	buf, _ = appendDyad(buf[:0], d, true)
	return buf, len(buf) + 1
}

// fitDyads keeps the dyads whose skeletons (no cues, with totals) fit in
// *room, the strongest first, in their original order, and takes their
// size from *room.
func fitDyads(dyads []Dyad, room *int) ([]Dyad, int) {
	sizes := make([]int, len(dyads))
	total := 0
	var buf []byte
	for i, d := range dyads {
		skel := d
		skel.Cues, skel.CueCount, skel.CueWeight = []Cue{}, d.TotalCues(), d.TotalWeight()
		buf, sizes[i] = dyadSize(buf, &skel)
		total += sizes[i]
	}
	if total <= *room {
		*room -= total
		return dyads, 0
	}
	order := make([]int, len(dyads))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(math.Abs(dyads[b].Tension), math.Abs(dyads[a].Tension)),
			cmp.Compare(dyads[b].TotalWeight(), dyads[a].TotalWeight()))
	})
	keep := make([]bool, len(dyads))
	for _, i := range order {
		if sizes[i] > *room {
			break // the strongest that fit: none weaker jumps the queue
		}
		keep[i] = true
		*room -= sizes[i]
	}
	var out []Dyad
	for i, d := range dyads {
		if keep[i] {
			out = append(out, d)
		}
	}
	if out == nil {
		out = []Dyad{}
	}
	return out, len(dyads) - len(out)
}

// shareRoom picks the entities (a prefix, in text order) and the cues of
// each dyad (the heaviest over all dyads, listed in their original order)
// that fit in room together.
func shareRoom(entities []Entity, dyads []Dyad, room int) ([]Entity, [][]Cue) {
	entSizes := make([]int, len(entities))
	entAll := 0
	var buf []byte
	for i := range entities {
		buf, entSizes[i] = entitySize(buf, &entities[i])
		entAll += entSizes[i]
	}
	type ref struct{ d, c, size int }
	var refs []ref
	cueAll := 0
	for d := range dyads {
		for c := range dyads[d].Cues {
			var n int
			buf, n = cueSize(buf, &dyads[d].Cues[c])
			refs = append(refs, ref{d, c, n})
			cueAll += n
		}
	}
	// Entities get half, or more when the cues need less.
	entRoom := max(room/2, room-cueAll)
	nEnt, used := prefix(entSizes, entRoom)

	slices.SortStableFunc(refs, func(a, b ref) int {
		return cmp.Compare(dyads[b.d].Cues[b.c].Weight, dyads[a.d].Cues[a.c].Weight)
	})
	cueRoom := room - used
	keep := make([][]bool, len(dyads))
	for d := range dyads {
		keep[d] = make([]bool, len(dyads[d].Cues))
	}
	for _, r := range refs {
		if r.size <= cueRoom {
			keep[r.d][r.c] = true
			cueRoom -= r.size
		}
	}
	// What the cues left goes back to the entities.
	more, _ := prefix(entSizes[nEnt:], cueRoom)
	nEnt += more

	cues := make([][]Cue, len(dyads))
	for d := range dyads {
		cues[d] = []Cue{}
		for c, k := range keep[d] {
			if k {
				cues[d] = append(cues[d], dyads[d].Cues[c])
			}
		}
	}
	ents := entities[:nEnt:nEnt]
	if ents == nil {
		ents = []Entity{}
	}
	return ents, cues
}

// prefix returns how many of sizes fit in room, from the start, and their
// total.
func prefix(sizes []int, room int) (int, int) {
	used := 0
	for i, n := range sizes {
		if used+n > room {
			return i, used
		}
		used += n
	}
	return len(sizes), used
}
