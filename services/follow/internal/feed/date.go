package feed

import (
	"strings"
	"time"
)

// ParseDate reads the dates feeds carry: RFC 822/1123 in RSS pubDate (with
// or without the weekday, 2- or 4-digit years, numeric or named zones),
// RFC 3339 and W3C-DTF in Atom and dc:date (with or without seconds, or a
// date alone). A date-time without any zone is read as UTC. A zone name it
// does not know (an ambiguous "IST", say) makes the date unreadable rather
// than guessed: the caller then looks for another date. The result is UTC.
func ParseDate(s string) (time.Time, bool) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	if t, ok := parseISO(s); ok {
		return t, true
	}
	return parseRFC822(s)
}

var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

func parseISO(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' {
		return time.Time{}, false
	}
	if s[len(s)-1] == 'z' {
		s = s[:len(s)-1] + "Z"
	}
	if len(s) > 10 && s[10] == 't' {
		s = s[:10] + "T" + s[11:]
	}
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// zones are the zone names RFC 822 defines and the unambiguous ones feeds
// commonly use, as numeric offsets.
var zones = map[string]string{
	"UT": "+0000", "UTC": "+0000", "GMT": "+0000", "Z": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
	"CET": "+0100", "CEST": "+0200", "MET": "+0100", "MEST": "+0200", "BST": "+0100",
	"EET": "+0200", "EEST": "+0300", "WET": "+0000", "WEST": "+0100", "MSK": "+0300",
	"JST": "+0900", "KST": "+0900", "HKT": "+0800", "SGT": "+0800", "AEST": "+1000", "AEDT": "+1100",
}

var rfc822Layouts = []string{
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04 -0700",
	"2 January 2006 15:04:05 -0700",
	"2 January 2006 15:04 -0700",
	"2 Jan 06 15:04:05 -0700",
	"2 Jan 06 15:04 -0700",
	"Jan 2 2006 15:04:05 -0700",
	"January 2 2006 15:04:05 -0700",
	"2 Jan 2006",
	"2 January 2006",
}

func parseRFC822(s string) (time.Time, bool) {
	// The weekday is redundant and often wrong or localised: drop it.
	if i := strings.IndexByte(s, ','); i > 0 && i <= 10 && !strings.ContainsAny(s[:i], "0123456789") {
		s = strings.TrimSpace(s[i+1:])
	} else if f := strings.Fields(s); len(f) > 4 && len(f[0]) >= 3 && isAlpha(f[0]) && !isMonth(f[0]) {
		s = strings.Join(f[1:], " ")
	}
	s = strings.ReplaceAll(s, ",", "")
	// "+0000 (UTC)": a comment after the zone.
	if i := strings.IndexByte(s, '('); i > 0 {
		s = strings.TrimSpace(s[:i])
	}
	f := strings.Fields(s)
	if len(f) == 0 {
		return time.Time{}, false
	}
	last := f[len(f)-1]
	hasTime := strings.Contains(s, ":")
	switch {
	case isAlpha(last) && hasTime:
		off, ok := zones[strings.ToUpper(last)]
		if !ok {
			return time.Time{}, false
		}
		f[len(f)-1] = off
	case (last[0] == '+' || last[0] == '-') && len(last) == 6 && last[3] == ':':
		f[len(f)-1] = last[:3] + last[4:] // -07:00 -> -0700
	case hasTime && !(last[0] == '+' || last[0] == '-'):
		f = append(f, "+0000") // no zone at all: UTC
	}
	s = strings.Join(f, " ")
	for _, l := range rfc822Layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

func isMonth(s string) bool {
	if len(s) < 3 {
		return false
	}
	switch strings.ToLower(s[:3]) {
	case "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec":
		return true
	}
	return false
}
