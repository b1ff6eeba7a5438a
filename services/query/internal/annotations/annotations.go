// Package annotations holds dated events drawn beside the index: the
// project's milestones of US-China trade relations (milestones.tsv,
// embedded) and the events of a user's own file in the same format. They
// are context for a reader of the chart, never an input to the index.
package annotations

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tension-dev/tension/pkg/event"
)

//go:embed milestones.tsv
var milestones string

// Kinds of events.
const (
	Escalation   = "escalation"
	Deescalation = "de-escalation"
	Other        = "other"
)

// Origins: where an event came from.
const (
	Project = "project" // milestones.tsv
	User    = "user"    // the -annotations-file
)

// AnyPair marks an event about every pair.
const AnyPair = "*"

// Event is one dated annotation.
type Event struct {
	Date   time.Time // midnight UTC of the day
	Pair   string    // "CN-US" or AnyPair
	Kind   string
	Label  string
	Origin string
}

// ErrFormat is wrapped by every error about a file's content.
var ErrFormat = errors.New("annotations: bad line")

// maxLabel bounds a label: a chart annotation is one line.
const maxLabel = 300

// MaxEvents bounds a user file: the whole list is served from memory.
const MaxEvents = 100000

// Parse reads TSV lines: date, pair, kind, label; '#' comments, blank lines
// and a header line starting with "date" are skipped. name and origin
// label the events and the errors.
func Parse(r io.Reader, name, origin string) ([]Event, error) {
	var out []Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") || (n <= 10 && strings.HasPrefix(line, "date\t")) {
			continue
		}
		e, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: %s line %d: %w", ErrFormat, name, n, err)
		}
		e.Origin = origin
		out = append(out, e)
		if len(out) > MaxEvents {
			return nil, fmt.Errorf("%w: %s: more than %d events", ErrFormat, name, MaxEvents)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("annotations: read %s: %w", name, err)
	}
	return out, nil
}

func parseLine(line string) (Event, error) {
	f := strings.Split(line, "\t")
	if len(f) != 4 {
		return Event{}, fmt.Errorf("want 4 tab-separated fields (date, pair, kind, label), got %d", len(f))
	}
	d, err := time.Parse("2006-01-02", f[0])
	if err != nil {
		return Event{}, fmt.Errorf("date %q: want YYYY-MM-DD", f[0])
	}
	if a, b, _ := strings.Cut(f[1], "-"); f[1] != AnyPair && (!event.PairPattern.MatchString(f[1]) || a >= b) {
		return Event{}, fmt.Errorf("pair %q: want two sorted codes such as CN-US, or *", f[1])
	}
	switch f[2] {
	case Escalation, Deescalation, Other:
	default:
		return Event{}, fmt.Errorf("kind %q: want escalation, de-escalation or other", f[2])
	}
	label := strings.TrimSpace(f[3])
	if label == "" || !utf8.ValidString(label) || utf8.RuneCountInString(label) > maxLabel {
		return Event{}, fmt.Errorf("label: want 1 to %d characters of valid UTF-8", maxLabel)
	}
	return Event{Date: d.UTC(), Pair: f[1], Kind: f[2], Label: label}, nil
}

// Set is the events served, in date order.
type Set struct{ events []Event }

// Load returns the project's milestones plus the events of userFile ("" for
// none). A bad user file is an error at start, naming the line.
func Load(userFile string) (*Set, error) {
	evs, err := Parse(strings.NewReader(milestones), "milestones.tsv", Project)
	if err != nil {
		return nil, err
	}
	if userFile != "" {
		f, err := os.Open(userFile)
		if err != nil {
			return nil, fmt.Errorf("annotations: %w", err)
		}
		defer f.Close()
		more, err := Parse(f, userFile, User)
		if err != nil {
			return nil, err
		}
		evs = append(evs, more...)
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Date.Before(evs[j].Date) })
	return &Set{events: evs}, nil
}

// Between returns the events of pair (and those about every pair) dated in
// [from, to); pair "" returns every pair's.
func (s *Set) Between(pair string, from, to time.Time) []Event {
	var out []Event
	for _, e := range s.events {
		if e.Date.Before(from) || !e.Date.Before(to) {
			continue
		}
		if pair != "" && e.Pair != pair && e.Pair != AnyPair {
			continue
		}
		out = append(out, e)
	}
	return out
}
