package web

import (
	"bytes"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// contentTypes are the only kinds of file the client is made of; a file of
// any other kind is not served. Fixed here rather than taken from the
// system's MIME table, which may call JavaScript something a browser does
// not run as a module.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// policy keeps the page to its own origin: scripts, styles and the
// WebSocket ('self' covers ws: and wss: to the same host:port).
const policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the client: index.html at / and the files beside it by
// name. It answers GET and HEAD only, and 404 for anything else under /.
// It is safe for concurrent use.
func Handler() http.Handler {
	files := Files()
	// Built once: the files never change while the binary runs.
	started := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		ctype, ok := contentTypes[path.Ext(name)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Security-Policy", policy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Revalidate every time, so a new binary's client is picked up at once.
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, name, started, bytes.NewReader(body))
	})
}
