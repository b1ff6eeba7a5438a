package event

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// articleNamespace is the UUIDv5 namespace of article ids. It is fixed
// forever: changing it would give every article a new identity.
var articleNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://tension.dev/article"))

// ArticleID returns the stable id of an article: the UUIDv5 of its canonical
// URL, or of the SHA-256 of its text when it has no URL. The same article sent
// twice gets the same id, which is what lets the sink count it once.
func ArticleID(rawURL, text string) string {
	if c := CanonicalURL(rawURL); c != "" {
		return nameID(c)
	}
	sum := sha256.Sum256([]byte(text))
	return nameID("sha256:" + hex.EncodeToString(sum[:]))
}

// nameID is uuid.NewSHA1(articleNamespace, name).String(), hashed from a
// buffer on the stack when the name fits: the uuid package's hash.Hash,
// its Sum and the name's copy were four of the ~12 allocations
// `enricher tag` made per short article (TestNameIDSame).
func nameID(name string) string {
	var buf [256]byte
	if len(articleNamespace)+len(name) > len(buf) {
		return uuid.NewSHA1(articleNamespace, []byte(name)).String()
	}
	n := copy(buf[:], articleNamespace[:])
	n += copy(buf[n:], name)
	sum := sha1.Sum(buf[:n])
	var id uuid.UUID
	copy(id[:], sum[:])
	id[6] = id[6]&0x0f | 5<<4 // version 5: SHA-1 of a name
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	return id.String()
}

// CanonicalURL is the form of a URL its article id is made from
// (docs/ids.md). It merges the variants that name the same page and keeps
// apart everything that can name another one:
//
//   - merged: scheme and host case; http and https (the canonical form is
//     https); the scheme's default port (:80 for http, :443 for https);
//     trailing slashes of the path; the case of percent-escapes, and
//     escapes of unreserved characters ("%7E" is "~"); the order of query
//     pairs and empty pairs; tracking parameters (utm_*, fbclid, gclid and
//     the others in trackingParams); plain fragments ("#section-2");
//   - kept: everything else in the path and query, byte for byte where it
//     cannot be decoded — pairs with ";" or malformed escapes are kept as
//     sent, not dropped; a port that is not the scheme's default;
//     fragments that route single-page sites ("#/world/123", "#!/a").
//
// Ordinary URLs keep the canonical form (and so the id) they had before
// these rules; what changed is listed in docs/ids.md. It returns "" for an
// empty or unparsable URL, or one without a scheme or host.
func CanonicalURL(raw string) string {
	if c, ok := plainCanonicalURL(raw); ok {
		return c
	}
	return parsedCanonicalURL(raw)
}

// plainCanonicalURL is CanonicalURL of the URLs almost every article has —
// "http(s)://" in lower case, a lower-case host of letters, digits, dots and
// hyphens, a path of unreserved characters, no port, user, query or
// fragment — without parsing: url.Parse, the query's split and the
// builder were most of the cost of an id (TestPlainCanonicalURLSame,
// FuzzPlainCanonicalURLSame compare it with parsedCanonicalURL). ok is
// false for any other URL.
func plainCanonicalURL(raw string) (c string, ok bool) {
	rest, ok := cutHTTPScheme(raw)
	if !ok {
		return "", false
	}
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		slash = len(rest)
	}
	host, path := rest[:slash], rest[slash:]
	if host == "" {
		return "", false
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return "", false
		}
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c != '/' && !isUnreserved(c) {
			return "", false
		}
	}
	if path = strings.TrimRight(path, "/"); path == "" {
		path = "/"
	}
	if len(raw) == len("https://")+len(host)+len(path) && strings.HasPrefix(raw, "https://") {
		return raw, true // already canonical: no copy
	}
	return "https://" + host + path, true
}

// parsedCanonicalURL is CanonicalURL by url.Parse, for any URL.
func parsedCanonicalURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || u.Scheme == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	if port := u.Port(); (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		host = strings.TrimSuffix(host, ":"+port)
	}
	if scheme == "http" {
		scheme = "https"
	}
	var b strings.Builder
	b.WriteString(scheme)
	b.WriteString("://")
	if u.User != nil {
		b.WriteString(u.User.String())
		b.WriteByte('@')
	}
	b.WriteString(host)
	b.WriteString(canonicalPath(u.EscapedPath()))
	if q := canonicalQuery(u.RawQuery); q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	if f := u.EscapedFragment(); strings.HasPrefix(f, "/") || strings.HasPrefix(f, "!") {
		b.WriteByte('#')
		b.WriteString(normalizeEscapes(f))
	}
	return b.String()
}

// canonicalPath normalises the escapes of an escaped path and drops its
// trailing slashes ("/" stays the root).
func canonicalPath(p string) string {
	p = strings.TrimRight(normalizeEscapes(p), "/")
	if p == "" {
		return "/"
	}
	return p
}

// trackingParams are query parameters that say how a reader arrived, not
// which page they read (besides every utm_* parameter).
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "gclsrc": true, "dclid": true, "msclkid": true, "yclid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "_ga": true, "_gl": true,
}

func isTracking(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "utm_") || trackingParams[k]
}

// canonicalQuery sorts the query's pairs and drops tracking parameters and
// empty pairs. A pair that decodes is re-encoded as url.QueryEscape does
// (the form ids were always made from, so "%20" and "+" are one); a pair
// that does not — with ";" (not a separator here, unlike the old
// url.ParseQuery rules) or a malformed escape — is kept as sent, its
// escapes' case normalised, instead of being dropped.
func canonicalQuery(raw string) string {
	type pair struct{ key, text string }
	var pairs []pair
	for _, p := range strings.Split(raw, "&") {
		if p == "" {
			continue
		}
		rk, rv, _ := strings.Cut(p, "=")
		k, kerr := url.QueryUnescape(rk)
		v, verr := url.QueryUnescape(rv)
		if kerr != nil || verr != nil || strings.Contains(p, ";") {
			text := normalizeEscapes(escapeRaw(p))
			key, _, _ := strings.Cut(text, "=")
			if !isTracking(key) {
				pairs = append(pairs, pair{key: key, text: text})
			}
			continue
		}
		if isTracking(k) {
			continue
		}
		pairs = append(pairs, pair{key: k, text: url.QueryEscape(k) + "=" + url.QueryEscape(v)})
	}
	// By key, pairs of one key in the order sent (url.Values' order).
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].key < pairs[j].key })
	texts := make([]string, len(pairs))
	for i, p := range pairs {
		texts[i] = p.text
	}
	return strings.Join(texts, "&")
}

// escapeRaw percent-escapes the bytes a URL cannot hold as they are
// (spaces, controls, non-ASCII and the characters RFC 3986 excludes), so a
// pair kept as sent still reads back as the same URL.
func escapeRaw(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\^`{|}", c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// normalizeEscapes upper-cases the hex digits of percent-escapes and
// decodes the escapes of unreserved characters (RFC 3986 §6.2.2.1-2). In a
// string with a malformed escape only the case is normalised: decoding
// there could make a new escape of a stray "%" ("%%341" would become
// "%41"), and canonicalising again would change it.
func normalizeEscapes(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	wellFormed := true
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				wellFormed = false
				break
			}
			i += 2
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			b.WriteByte(s[i])
			continue
		}
		c := unhex(s[i+1])<<4 | unhex(s[i+2])
		if wellFormed && isUnreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex(s[i+1]))
			b.WriteByte(upperHex(s[i+2]))
		}
		i += 2
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func upperHex(c byte) byte {
	if c >= 'a' && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// LegacyArticleID is the id an article had under the canonical rules before
// docs/ids.md's changes, when those rules gave the same page another id
// (an http:// URL, a trailing slash, an escape's case, a tracking parameter
// added since). The sink counts an article under this id when it is
// already counted and the new one is not, so articles stored before the
// change keep their identity when they are sent again. It is "" when the
// id did not change, and when the old rules merged the URL with other pages
// (";" pairs, malformed escapes, route fragments, https on port 80): those
// must not be joined again.
func LegacyArticleID(rawURL string) string {
	if c, ok := plainCanonicalURL(rawURL); ok && c == rawURL {
		// Already in canonical form, and plain: the old rules kept it as
		// it is too (url.Parse and String leave such a URL unchanged). The
		// sink asks this of every article it decodes; parsing it was ~2 %
		// of the sink's CPU.
		return ""
	}
	return parsedLegacyArticleID(rawURL)
}

// parsedLegacyArticleID is LegacyArticleID by both rules' canonical forms,
// for any URL.
func parsedLegacyArticleID(rawURL string) string {
	c := CanonicalURL(rawURL)
	old := legacyCanonicalURL(rawURL)
	if c == "" || old == "" || old == c || CanonicalURL(old) != c {
		return ""
	}
	return uuid.NewSHA1(articleNamespace, []byte(old)).String()
}

// legacyCanonicalURL is the canonicalisation ids were made with before the
// rules of CanonicalURL: kept only to resolve LegacyArticleID (and tested
// against it, TestCanonicalURLKeepsOrdinaryIDs).
func legacyCanonicalURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	host = strings.TrimSuffix(host, ":80")
	host = strings.TrimSuffix(host, ":443")
	u.Host = host
	u.Fragment = ""
	u.RawFragment = ""
	q := u.Query() // drops pairs with ";" or malformed escapes
	for k := range q {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || lk == "fbclid" || lk == "gclid" {
			q.Del(k)
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		for j, v := range q[k] {
			if i > 0 || j > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	u.RawQuery = b.String()
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}
