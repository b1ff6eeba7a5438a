// Package robots reads robots.txt files as RFC 9309 defines them: groups of
// rules per user agent, the group of the follower's product token or else
// the "*" group, and the longest matching rule deciding (allow wins a tie),
// with the "*" wildcard and the "$" end anchor. It also reads the common
// Crawl-delay extension. Parsing is linear in the file, and so is matching a URL
// against it (in the file and the URL, whatever they hold).
package robots

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"time"
)

// MaxBytes is how much of a robots.txt is read (RFC 9309 asks crawlers to
// read at least 500 KiB); the rest is ignored.
const MaxBytes = 500 << 10

// MaxCrawlDelay caps what a Crawl-delay line can ask for.
const MaxCrawlDelay = time.Minute

// Robots is the part of a robots.txt that applies to one user agent.
type Robots struct {
	rules      []rule
	crawlDelay time.Duration
}

type rule struct {
	allow   bool
	pattern string   // normalised (see normalize); its length ranks the rule
	parts   []string // pattern without the final "$", split at "*"
	anchor  bool     // a final "$": the pattern must match the whole path
}

func newRule(allow bool, pattern string) rule {
	pattern = normalize(pattern)
	anchor := strings.HasSuffix(pattern, "$")
	return rule{allow: allow, pattern: pattern, parts: strings.Split(strings.TrimSuffix(pattern, "$"), "*"), anchor: anchor}
}

// AllowAll is the rule set of a host without robots.txt (or with a 4xx).
var AllowAll = &Robots{}

// DisallowAll is the rule set of a host whose robots.txt could not be read
// (a 5xx or a network error): RFC 9309 says to assume complete disallow.
var DisallowAll = &Robots{rules: []rule{newRule(false, "/")}}

// Parse reads data (up to MaxBytes) and keeps the rules for agent, the
// crawler's product token ("TensionFollower"): the groups that name it
// (case-insensitively), or else the "*" groups, or else nothing (all allowed).
func Parse(data []byte, agent string) *Robots {
	if len(data) > MaxBytes {
		data = data[:MaxBytes]
	}
	agent = strings.ToLower(agent)
	var (
		own, star    Robots
		hasOwn       bool
		inAgents     bool // the previous line was a user-agent line
		forOwn, forS bool // the current group applies to agent / to *
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxBytes)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		if key == "user-agent" {
			if !inAgents {
				forOwn, forS = false, false
			}
			inAgents = true
			name := strings.ToLower(val)
			if i := strings.IndexAny(name, " /"); i >= 0 {
				name = name[:i]
			}
			switch name {
			case agent:
				forOwn, hasOwn = true, true
			case "*":
				forS = true
			}
			continue
		}
		inAgents = false
		var r *Robots
		switch {
		case forOwn:
			r = &own
		case forS:
			r = &star
		default:
			continue
		}
		// A group for both the agent and "*" lands in own; star then is
		// not consulted, as RFC 9309 prescribes.
		switch key {
		case "allow", "disallow":
			if val == "" {
				continue // "Disallow:" with nothing allows everything
			}
			r.rules = append(r.rules, newRule(key == "allow", val))
		case "crawl-delay":
			if s, err := strconv.ParseFloat(val, 64); err == nil && s > 0 {
				d := time.Duration(min(s, MaxCrawlDelay.Seconds()) * float64(time.Second))
				r.crawlDelay = max(r.crawlDelay, d)
			}
		}
	}
	if hasOwn {
		return &own
	}
	return &star
}

// Allowed reports whether the crawler may fetch path (the URL's escaped
// path and query, "/a/b?c=d").
func (r *Robots) Allowed(path string) bool {
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	if path == "/robots.txt" {
		return true
	}
	path = normalize(path)
	best, allowed := -1, true
	for _, ru := range r.rules {
		if len(ru.pattern) < best || !ru.match(path) {
			continue
		}
		if len(ru.pattern) > best || ru.allow { // longer wins; allow wins a tie
			best, allowed = len(ru.pattern), ru.allow
		}
	}
	return allowed
}

// CrawlDelay is the delay between requests the file asks for (0 = none),
// at most MaxCrawlDelay.
func (r *Robots) CrawlDelay() time.Duration { return r.crawlDelay }

// match reports whether the rule's pattern matches a prefix of path ("*"
// matches any run of characters, a final "$" anchors at the end). The
// literal parts between stars are found left to right, each at its first
// occurrence after the previous one (the leftmost match leaves the most
// room for the rest, so it finds a match whenever there is one): time
// linear in the pattern and the path (strings.Index), where a
// backtracking matcher takes their product — seconds per URL for a
// hostile robots.txt of long "/*aaa…b" lines.
func (ru *rule) match(path string) bool {
	parts := ru.parts
	if !strings.HasPrefix(path, parts[0]) {
		return false
	}
	if len(parts) == 1 {
		return !ru.anchor || len(path) == len(parts[0])
	}
	pos := len(parts[0])
	last := len(parts) - 1
	for _, p := range parts[1:last] {
		i := strings.Index(path[pos:], p)
		if i < 0 {
			return false
		}
		pos += i + len(p)
	}
	if ru.anchor {
		return len(path)-pos >= len(parts[last]) && strings.HasSuffix(path, parts[last])
	}
	return strings.Contains(path[pos:], parts[last])
}

// normalize makes a pattern and a path comparable: bytes outside printable
// ASCII are percent-encoded, and percent-escapes get upper-case hex digits.
func normalize(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte('%')
			b.WriteByte(upper(s[i+1]))
			b.WriteByte(upper(s[i+2]))
			i += 2
		case c <= ' ' || c >= 0x7f:
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func upper(c byte) byte {
	if c >= 'a' && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}
