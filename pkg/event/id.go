package event

import (
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
		return uuid.NewSHA1(articleNamespace, []byte(c)).String()
	}
	sum := sha256.Sum256([]byte(text))
	return uuid.NewSHA1(articleNamespace, []byte("sha256:"+hex.EncodeToString(sum[:]))).String()
}

// CanonicalURL normalises the parts of a URL that do not change which page it
// names: scheme and host case, default ports, the fragment, tracking
// parameters (utm_*, fbclid, gclid) and the order of the query. It returns ""
// for an empty or unparsable URL.
func CanonicalURL(raw string) string {
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
	q := u.Query()
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
		vs := q[k]
		for j, v := range vs {
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
