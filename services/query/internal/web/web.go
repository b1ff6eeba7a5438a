// Package web serves the dashboard: the page and assets that `make web`
// builds from web/ (npm, Vite, uPlot) into dist/, embedded in the binary so
// the page works offline. dist/ is committed and rebuilt only by `make web`
// (never by `make build`), so `go build` alone gives a working dashboard and
// a build machine needs no npm; dist/SOURCES records the sources it was
// built from, and TestDistMatchesSources fails when they changed since.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// FS is the built dashboard: index.html and assets/.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // the embed pattern guarantees dist exists
		panic(err)
	}
	return sub
}

// Index serves index.html. It is never cached, so a rebuilt binary's page
// (whose asset names carry content hashes) is picked up at once.
func Index() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := fs.ReadFile(FS(), "index.html")
		if err != nil {
			http.Error(w, "dashboard not built: run make build", http.StatusNotFound)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(b)
	})
}

// Assets serves /assets/*. Their names carry content hashes, so they are
// cached for a year.
func Assets() http.Handler {
	files := http.FileServerFS(FS())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
