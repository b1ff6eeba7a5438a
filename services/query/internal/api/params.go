package api

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/language"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
)

// Interval is a bucket width a client may ask for: the stored granularities
// plus month, which is built from the day rows.
type Interval string

const (
	Minute Interval = "minute"
	Hour   Interval = "hour"
	Day    Interval = "day"
	Month  Interval = "month"
)

// Intervals in the order error messages list them.
var Intervals = [...]Interval{Minute, Hour, Day, Month}

// rows is the stored granularity the interval reads.
func (iv Interval) rows() tension.Granularity {
	switch iv {
	case Minute:
		return tension.Minute
	case Hour:
		return tension.Hour
	default:
		return tension.Day
	}
}

// floor is the start of t's bucket (UTC).
func (iv Interval) floor(t time.Time) time.Time {
	t = t.UTC()
	if iv == Month {
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return iv.rows().Truncate(t)
}

// ceil is t when it starts a bucket, else the start of the next bucket.
func (iv Interval) ceil(t time.Time) time.Time {
	f := iv.floor(t)
	if f.Equal(t) {
		return f
	}
	if iv == Month {
		return f.AddDate(0, 1, 0)
	}
	return f.Add(iv.rows().Duration())
}

// defaultSpan is how far back from `to` a request without `from` reaches.
func (iv Interval) defaultFrom(to time.Time) time.Time {
	switch iv {
	case Minute:
		return to.Add(-6 * time.Hour)
	case Hour:
		return to.Add(-7 * 24 * time.Hour)
	case Month:
		return to.AddDate(-1, 0, 0)
	default:
		return to.AddDate(0, 0, -30)
	}
}

// Ranges caps the span of a request per stored granularity (month uses
// Day). A wider request is a 400: it would read too many rows.
type Ranges struct {
	Minute, Hour, Day time.Duration
}

// DefaultRanges: 31 days of minutes, 5 years of hours, 50 years of days.
var DefaultRanges = Ranges{Minute: 31 * day, Hour: 5 * year, Day: 50 * year}

const (
	day  = 24 * time.Hour
	year = 366 * day // a generous year, so "5y" admits any five calendar years
)

func (r Ranges) cap(g tension.Granularity) time.Duration {
	switch g {
	case tension.Minute:
		return r.Minute
	case tension.Hour:
		return r.Hour
	default:
		return r.Day
	}
}

// String is the -max-range flag form.
func (r Ranges) String() string {
	return fmt.Sprintf("minute=%s,hour=%s,day=%s", spanString(r.Minute), spanString(r.Hour), spanString(r.Day))
}

// ParseRanges reads the -max-range flag: comma-separated granularity=span,
// where span is a Go duration ("744h") or a whole number of days or years
// ("31d", "5y"; a year is 366 days). Granularities not named keep their
// DefaultRanges value.
func ParseRanges(s string) (Ranges, error) {
	r := DefaultRanges
	if strings.TrimSpace(s) == "" {
		return r, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return r, fmt.Errorf("max-range: %q: want granularity=span, e.g. minute=31d", part)
		}
		d, err := parseSpan(v)
		if err != nil {
			return r, fmt.Errorf("max-range: %s: %w", k, err)
		}
		switch k {
		case "minute":
			r.Minute = d
		case "hour":
			r.Hour = d
		case "day":
			r.Day = d
		default:
			return r, fmt.Errorf("max-range: %q: granularity must be minute, hour or day", k)
		}
	}
	return r, nil
}

func parseSpan(s string) (time.Duration, error) {
	unit := time.Duration(0)
	switch {
	case strings.HasSuffix(s, "d"):
		unit = day
	case strings.HasSuffix(s, "y"):
		unit = year
	}
	var d time.Duration
	if unit != 0 {
		n, err := strconv.ParseUint(s[:len(s)-1], 10, 16)
		if err != nil {
			return 0, fmt.Errorf("span %q: want a whole number of days or years", s)
		}
		d = time.Duration(n) * unit
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("span %q: %w", s, err)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("span %q: must be positive", s)
	}
	return d, nil
}

func spanString(d time.Duration) string {
	if d%year == 0 {
		return fmt.Sprintf("%dy", d/year)
	}
	if d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

// Format is the response encoding.
type Format string

const (
	JSON Format = "json"
	CSV  Format = "csv"
)

// Params lists the query parameters each endpoint takes, by route pattern:
// the parsers accept exactly these, and the OpenAPI test checks the
// document against this table.
var Params = map[string][]string{
	"/v1/index":         {"pair", "from", "to", "interval", "tagger_version", "base_from", "base_to", "window", "fill", "actor", "source_type", "lang", "format"},
	"/v1/drivers":       {"pair", "from", "to", "limit", "offset", "tagger_version", "format", "lang"},
	"/v1/entities/top":  {"pair", "from", "to", "limit", "offset", "tagger_version", "format", "lang"},
	"/v1/cues/top":      {"pair", "from", "to", "limit", "offset", "tagger_version", "format", "lang"},
	"/v1/pairs":         {"tagger_version", "format"},
	"/v1/articles/{id}": {"format"},
	"/v1/annotations":   {"pair", "from", "to", "format"},
	"/v1/leadlag":       {"pair", "a", "b", "from", "to", "interval", "max_lag", "measure", "transform", "tagger_version"},
}

// params reads one request's query string. Every parameter must be known to
// the endpoint and given at most once: a misspelt parameter is an error, not
// silently a default.
type params struct {
	v url.Values
}

// maxParamLen bounds every value: nothing legitimate is longer, and error
// messages quote the value.
const maxParamLen = 128

func newParams(rawQuery string, allowed ...string) (params, error) {
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return params{}, badRequest("query string: %s", err)
	}
	var unknown []string
	for k, vs := range v {
		if !contains(allowed, k) {
			unknown = append(unknown, k)
			continue
		}
		if len(vs) > 1 {
			return params{}, badRequest("%s: given %d times; give it once", k, len(vs))
		}
		if len(vs[0]) > maxParamLen {
			return params{}, badRequest("%s: longer than %d bytes", k, maxParamLen)
		}
		if !utf8.ValidString(vs[0]) {
			return params{}, badRequest("%s: not valid UTF-8", k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return params{}, badRequest("unknown parameter %s (this endpoint takes %s)", quoteShort(unknown[0]), strings.Join(allowed, ", "))
	}
	return params{v: v}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p params) get(name string) string { return p.v.Get(name) }
func (p params) has(name string) bool   { _, ok := p.v[name]; return ok }

var pairRE = event.PairPattern

// pair reads a required dyad: two ISO 3166-1 alpha-2 codes (or EU), upper
// case, sorted, joined by "-".
func (p params) pair() (string, error) {
	s := p.get("pair")
	if s == "" {
		return "", badRequest("pair: required, e.g. pair=CN-US (see /v1/pairs)")
	}
	if !pairRE.MatchString(s) {
		up := strings.ToUpper(strings.TrimSpace(s))
		if pairRE.MatchString(up) && up[:2] != up[3:] {
			return "", badRequest("pair: must be upper case and sorted: use %q (got %s)", tension.Pair(up[:2], up[3:]), quoteShort(s))
		}
		return "", badRequest("pair: must be two country codes, sorted and joined by \"-\", e.g. \"CN-US\" (got %s)", quoteShort(s))
	}
	a, b := s[:2], s[3:]
	for _, c := range [2]string{a, b} {
		if !isCountry(c) {
			return "", badRequest("pair: unknown country code %q (ISO 3166-1 alpha-2 or EU)", c)
		}
	}
	if a == b {
		return "", badRequest("pair: the two codes must differ (got %q)", s)
	}
	if a > b {
		return "", badRequest("pair: codes must be sorted: use %q (got %q)", tension.Pair(a, b), s)
	}
	return s, nil
}

// isCountry accepts ISO 3166-1 alpha-2 country codes and EU.
func isCountry(code string) bool {
	if code == "EU" {
		return true
	}
	r, err := language.ParseRegion(code)
	return err == nil && r.IsCountry() && r.String() == code
}

// interval reads the bucket width; def when absent.
func (p params) interval(def Interval) (Interval, error) {
	s := p.get("interval")
	if !p.has("interval") {
		return def, nil
	}
	for _, iv := range Intervals {
		if s == string(iv) {
			return iv, nil
		}
	}
	names := make([]string, len(Intervals))
	for i, iv := range Intervals {
		names[i] = string(iv)
	}
	return "", badRequest("interval: must be one of %s (got %s)", strings.Join(names, ", "), quoteShort(s))
}

// DateTime's range on ClickHouse is 1970 to 2106; requests stay well inside
// so that rounding a bound up to a bucket never leaves it.
var (
	minTime = time.Unix(0, 0).UTC()
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// time reads an RFC 3339 time; zero when absent.
func (p params) time(name string) (time.Time, error) {
	if !p.has(name) {
		return time.Time{}, nil
	}
	s := p.get(name)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badRequest("%s: must be an RFC 3339 time such as 2025-04-02T00:00:00Z (got %s)", name, quoteShort(s))
	}
	t = t.UTC()
	if t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, badRequest("%s: must be from %s to before %s (got %s)", name,
			minTime.Format(time.RFC3339), maxTime.Format(time.RFC3339), quoteShort(s))
	}
	return t, nil
}

// span reads from and to (to exclusive; to defaults to now, from to a
// default distance before to) and checks from < to.
func (p params) span(now time.Time, defaultFrom func(time.Time) time.Time) (from, to time.Time, err error) {
	if from, err = p.time("from"); err != nil {
		return
	}
	if to, err = p.time("to"); err != nil {
		return
	}
	if to.IsZero() {
		to = now.UTC()
	}
	if from.IsZero() {
		from = defaultFrom(to)
	}
	if !from.Before(to) {
		return from, to, badRequest("from: must be before to (got from=%s, to=%s)", from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
	}
	return from, to, nil
}

// taggerVersion reads an optional tagger version: "" is the current view.
func (p params) taggerVersion() (string, error) {
	s := p.get("tagger_version")
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return "", badRequest("tagger_version: printable ASCII without spaces only (got %s)", quoteShort(s))
		}
	}
	if len(s) > 64 {
		return "", badRequest("tagger_version: at most 64 characters")
	}
	return s, nil
}

// lang reads an optional language filter: a language tag ("zh", "zh-Hant",
// "und-Latn"), matched against the language each article was read as by
// prefix on subtag boundaries (RFC 4647 basic filtering: zh matches zh,
// zh-Hans and zh-TW, not zho). Returned in lower case; "" is no filter.
func (p params) lang() (string, error) {
	s := p.get("lang")
	if s == "" {
		if p.has("lang") {
			return "", badRequest("lang: empty; give a language tag like zh or en, or leave lang out")
		}
		return "", nil
	}
	if !isLangTag(s) {
		return "", badRequest("lang: %s is not a language tag like zh, en or zh-Hant", quoteShort(s))
	}
	return strings.ToLower(s), nil
}

// isLangTag matches ^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$, at most 35 bytes:
// the form of schemas/article.v1.json's lang, in either case.
func isLangTag(s string) bool {
	if len(s) > 35 {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if i == 0 && (len(sub) < 2 || len(sub) > 3) || i > 0 && (len(sub) < 2 || len(sub) > 8) {
			return false
		}
		for j := 0; j < len(sub); j++ {
			c := sub[j] | 0x20
			if !(c >= 'a' && c <= 'z' || i > 0 && sub[j] >= '0' && sub[j] <= '9') {
				return false
			}
		}
	}
	return true
}

// limit reads an integer in [1, max]; def when absent.
func (p params) limit(def, max int) (int, error) {
	if !p.has("limit") {
		return def, nil
	}
	s := p.get("limit")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max || strings.HasPrefix(s, "+") {
		return 0, badRequest("limit: must be an integer from 1 to %d (got %s)", max, quoteShort(s))
	}
	return n, nil
}

// MaxOffset bounds paging: deeper pages would make ClickHouse rank and
// skip too many rows; narrow the range instead.
const MaxOffset = 100000

// offset reads a paging offset in [0, MaxOffset]; 0 when absent.
func (p params) offset() (int, error) {
	if !p.has("offset") {
		return 0, nil
	}
	s := p.get("offset")
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxOffset || strings.HasPrefix(s, "+") {
		return 0, badRequest("offset: must be an integer from 0 to %d (got %s)", MaxOffset, quoteShort(s))
	}
	return n, nil
}

// format reads json (the default) or csv.
func (p params) format(csvOK bool) (Format, error) {
	if !p.has("format") {
		return JSON, nil
	}
	switch s := p.get("format"); s {
	case string(JSON):
		return JSON, nil
	case string(CSV):
		if csvOK {
			return CSV, nil
		}
		return "", badRequest("format: this endpoint answers json only (got \"csv\")")
	default:
		return "", badRequest("format: must be json or csv (got %s)", quoteShort(s))
	}
}

// parseID reads an article id: a UUID.
func parseID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, badRequest("id: must be a UUID such as 5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f (got %s)", quoteShort(s))
	}
	return id, nil
}

// quoteShort quotes s for an error message, cut to a readable length.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

// IndexRequest is a validated /v1/index request: from and to are aligned to
// the interval (from down, to up), so every bucket is whole.
type IndexRequest struct {
	Pair             string
	Interval         Interval
	From, To         time.Time
	TaggerVersion    string
	BaseFrom, BaseTo time.Time // aligned like From and To; equal to them by default
	BaseRows         tension.Granularity
	Format           Format
	Smoothing               // window and fill (smoothing.go)
	Filter           Filter // actor, source type, language (split.go)
}

// ParseIndex validates a /v1/index query string.
func ParseIndex(rawQuery string, now time.Time, caps Ranges) (IndexRequest, error) {
	var r IndexRequest
	p, err := newParams(rawQuery, Params["/v1/index"]...)
	if err != nil {
		return r, err
	}
	if r.Pair, err = p.pair(); err != nil {
		return r, err
	}
	if r.Interval, err = p.interval(Day); err != nil {
		return r, err
	}
	if r.TaggerVersion, err = p.taggerVersion(); err != nil {
		return r, err
	}
	if r.Format, err = p.format(true); err != nil {
		return r, err
	}
	iv := r.Interval
	from, to, err := p.span(now, iv.defaultFrom)
	if err != nil {
		return r, err
	}
	r.From, r.To = iv.floor(from), iv.ceil(to)
	if c := caps.cap(iv.rows()); r.To.Sub(r.From) > c {
		return r, badRequest("range: %s is more than the %s allowed for interval=%s; narrow from/to or use a coarser interval",
			spanText(r.To.Sub(r.From)), spanText(c), iv)
	}

	baseFrom, err := p.time("base_from")
	if err != nil {
		return r, err
	}
	baseTo, err := p.time("base_to")
	if err != nil {
		return r, err
	}
	switch {
	case baseFrom.IsZero() && baseTo.IsZero():
		r.BaseFrom, r.BaseTo = r.From, r.To
	case baseFrom.IsZero() || baseTo.IsZero():
		return r, badRequest("base_from: base_from and base_to go together (give both or neither)")
	case !baseFrom.Before(baseTo):
		return r, badRequest("base_from: must be before base_to")
	default:
		r.BaseFrom, r.BaseTo = iv.floor(baseFrom), iv.ceil(baseTo)
	}
	r.BaseRows = coarsest(r.BaseFrom, r.BaseTo)
	if c := caps.cap(r.BaseRows); r.BaseTo.Sub(r.BaseFrom) > c {
		return r, badRequest("base_from: a base period of %s at %s alignment is more than the %s allowed; align base_from/base_to to days",
			spanText(r.BaseTo.Sub(r.BaseFrom)), r.BaseRows, spanText(c))
	}
	if r.Smoothing, err = p.smoothing(iv); err != nil {
		return r, err
	}
	r.Filter, err = p.filter(r.Pair)
	return r, err
}

// coarsest is the widest stored granularity whose buckets tile [from, to)
// exactly: the base is summed from the fewest rows that give an exact sum.
func coarsest(from, to time.Time) tension.Granularity {
	for _, g := range []tension.Granularity{tension.Day, tension.Hour} {
		if g.Truncate(from).Equal(from) && g.Truncate(to).Equal(to) {
			return g
		}
	}
	return tension.Minute
}

// spanText renders a span in days (or hours below a day) for messages.
func spanText(d time.Duration) string {
	if d >= day {
		days := float64(d) / float64(day)
		if days == float64(int64(days)) {
			return fmt.Sprintf("%d days", int64(days))
		}
		return fmt.Sprintf("%.1f days", days)
	}
	return d.String()
}

// DriversRequest is a validated /v1/drivers request. The range is not
// aligned: drivers are articles, selected by their exact published time.
type DriversRequest struct {
	Pair          string
	From, To      time.Time
	TaggerVersion string
	Lang          string // "" or a lower-case language tag (params.lang)
	Limit         int
	Offset        int
	Format        Format
}

// MaxLimit bounds the drivers of one request.
const MaxLimit = 1000

// ParseDrivers validates a /v1/drivers query string: the same ranked-list
// parameters as the top lists, on a required pair.
func ParseDrivers(rawQuery string, now time.Time, caps Ranges) (DriversRequest, error) {
	r, err := ParseTop("/v1/drivers", rawQuery, now, caps, true)
	return DriversRequest(r), err
}

// PairsRequest is a validated /v1/pairs request.
type PairsRequest struct {
	TaggerVersion string
	Format        Format
}

// ParsePairs validates a /v1/pairs query string.
func ParsePairs(rawQuery string) (PairsRequest, error) {
	var r PairsRequest
	p, err := newParams(rawQuery, Params["/v1/pairs"]...)
	if err != nil {
		return r, err
	}
	if r.TaggerVersion, err = p.taggerVersion(); err != nil {
		return r, err
	}
	r.Format, err = p.format(true)
	return r, err
}

// ParseArticle validates a /v1/articles/{id} request.
func ParseArticle(id, rawQuery string) (uuid.UUID, error) {
	p, err := newParams(rawQuery, Params["/v1/articles/{id}"]...)
	if err != nil {
		return uuid.Nil, err
	}
	if _, err := p.format(false); err != nil {
		return uuid.Nil, err
	}
	return parseID(id)
}

// TopRequest is a validated /v1/entities/top or /v1/cues/top request. The
// range is not aligned: the lists count articles by their published time.
type TopRequest struct {
	Pair          string // optional for entities ("" = every article), required for cues
	From, To      time.Time
	TaggerVersion string
	Lang          string // "" or a lower-case language tag (params.lang)
	Limit, Offset int
	Format        Format
}

// ParseTop validates a ranked-list query string; pairRequired is true for
// cues, which are always on a pair.
func ParseTop(route, rawQuery string, now time.Time, caps Ranges, pairRequired bool) (TopRequest, error) {
	var r TopRequest
	p, err := newParams(rawQuery, Params[route]...)
	if err != nil {
		return r, err
	}
	if pairRequired || p.has("pair") {
		if r.Pair, err = p.pair(); err != nil {
			return r, err
		}
	}
	if r.TaggerVersion, err = p.taggerVersion(); err != nil {
		return r, err
	}
	if r.Lang, err = p.lang(); err != nil {
		return r, err
	}
	if r.Limit, err = p.limit(20, MaxLimit); err != nil {
		return r, err
	}
	if r.Offset, err = p.offset(); err != nil {
		return r, err
	}
	if r.Format, err = p.format(true); err != nil {
		return r, err
	}
	if r.From, r.To, err = p.span(now, Day.defaultFrom); err != nil {
		return r, err
	}
	if r.To.Sub(r.From) > caps.Day {
		return r, badRequest("range: %s is more than the %s allowed; narrow from/to", spanText(r.To.Sub(r.From)), spanText(caps.Day))
	}
	return r, nil
}
