package event

// Entity types (docs/design.md §3). Countries as such are not entities; they are in
// Tags.Countries.
const (
	EntityPerson = "PERSON"
	EntityGov    = "GOV"
	EntityOrg    = "ORG"
	EntityMedia  = "MEDIA"
)

// Dyad directions.
const (
	DirectionEscalation   = "escalation"
	DirectionDeescalation = "de-escalation"
	DirectionNeutral      = "neutral"
	DirectionMixed        = "mixed"
)

// Entity is one mention of a known or recognised person, government body,
// organisation or outlet. Start and End are byte offsets into the original
// text, so text[Start:End] == Text.
type Entity struct {
	Text      string `json:"text"`
	Type      string `json:"type"`
	Canonical string `json:"canonical"`
	Country   string `json:"country"`
	Start     int    `json:"start"`
	End       int    `json:"end"`
}

// Cue is a stance or event phrase with who did it to whom, and the modifiers
// that changed its weight. Weight is the effective weight after modifiers
// (0-10 scale); Polarity is +1 (escalates) or -1 (de-escalates).
type Cue struct {
	Text       string  `json:"text"`
	Category   string  `json:"category,omitempty"`
	Sentence   int     `json:"sentence"`
	Start      int     `json:"start"`
	End        int     `json:"end"`
	Actor      string  `json:"actor"`
	Target     string  `json:"target"`
	Polarity   int     `json:"polarity"`
	Weight     float64 `json:"weight"`
	Hedged     bool    `json:"hedged"`
	Negated    bool    `json:"negated"`
	Future     bool    `json:"future,omitempty"`
	Background bool    `json:"background,omitempty"`
	Source     string  `json:"source,omitempty"`
	SourceType string  `json:"source_type"`
}

// Dyad is the tension between two states in one article. Pair is the two
// codes sorted and joined with "-" ("CN-US"); Tension is in [-1, 1], positive
// meaning escalation.
type Dyad struct {
	Pair      string  `json:"pair"`
	Tension   float64 `json:"tension"`
	Direction string  `json:"direction"`
	Cues      []Cue   `json:"cues"`
	// CueCount and CueWeight are set only when Cues was cut to keep the
	// enriched record within its budget (see Tags.Cut): how many cues the
	// tagger found and the sum of their weights, which is what the index
	// counts. TotalCues and TotalWeight read them.
	CueCount  int     `json:"cue_count,omitempty"`
	CueWeight float64 `json:"cue_weight,omitempty"`
}

// TotalCues is the number of cues the tagger found for the dyad, listed
// or cut.
func (d *Dyad) TotalCues() int {
	if d.CueCount > 0 {
		return d.CueCount
	}
	return len(d.Cues)
}

// TotalWeight is the sum of the weights of every cue the tagger found for
// the dyad, listed or cut: the dyad's part of the index's sum_weight.
func (d *Dyad) TotalWeight() float64 {
	if d.CueCount > 0 {
		return d.CueWeight
	}
	var w float64
	for _, c := range d.Cues {
		w += c.Weight
	}
	return w
}

// Tags is everything the tagger says about one article.
type Tags struct {
	Relevant  bool     `json:"relevant"`
	Countries []string `json:"countries"`
	Entities  []Entity `json:"entities"`
	Topics    []string `json:"topics"`
	Dyads     []Dyad   `json:"dyads"`
	// Cut is set when lists were cut to keep the enriched record within
	// MaxRecordBytes (FitTags): what was left out. Scores, directions and
	// the index are computed from everything the tagger found.
	Cut *Cut `json:"cut,omitempty"`
	// Lang is the language the text was read as: the article's own lang when
	// it has one, else detected from the script ("en", "zh"; "und" when no
	// script dominates). Optional: records from before tagger 1.1 lack it.
	Lang string `json:"lang,omitempty"`
	// Unsupported is true when the tagger has no analyser for Lang: the other
	// fields are then empty because the text was not read, not because it
	// holds nothing.
	Unsupported bool `json:"unsupported,omitempty"`
}

// Cut counts what FitTags left out of an enriched record.
type Cut struct {
	Entities int `json:"entities"` // entity mentions not listed (the last ones in the text)
	Cues     int `json:"cues"`     // cues not listed (the lightest ones)
	Dyads    int `json:"dyads"`    // dyads left out entirely (the weakest): not counted in the index
}
