// Package web is the web client for guests that duet serve serves at /:
// plain HTML, JavaScript and CSS embedded in the binary, with no build step
// and nothing loaded from elsewhere. The page speaks docs/protocol.md over
// the server's own /ws, so it needs no --allow-origin (see docs/web.md).
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Files are the client's files, index.html at the top.
func Files() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // cannot happen: the directory is embedded above
	}
	return sub
}
