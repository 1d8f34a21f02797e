package web_test

import (
	"io"
	"io/fs"
	"net"
	"net/http"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"duet/call/leaktest"
	"duet/call/server"
	"duet/call/server/web"
)

const testTimeout = 20 * time.Second

// startServer runs a real server on a loopback port until the test ends
// and returns its address.
func startServer(t *testing.T, cfg server.Config) string {
	t.Helper()
	if cfg.DB == "" {
		cfg.DB = filepath.Join(t.TempDir(), "duet.db")
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-served
	})
	return ln.Addr().String()
}

var wantTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// The server serves the client at / and every file of it with its content
// type and a policy that keeps the page to its own origin; nothing else.
func TestWebServesPage(t *testing.T) {
	leaktest.Check(t)
	addr := startServer(t, server.Config{Open: true})
	client := &http.Client{Timeout: testTimeout, Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	get := func(method, p string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+addr+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(body)
	}

	resp, page := get(http.MethodGet, "/")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != wantTypes[".html"] {
		t.Fatalf("GET /: %s, Content-Type %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") ||
		!strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("GET /: Content-Security-Policy %q", csp)
	}
	if !strings.Contains(page, `<script type="module" src="app.js">`) {
		t.Errorf("GET / is not the client:\n%s", page)
	}

	files := web.Files()
	names, err := fs.Glob(files, "*")
	if err != nil || len(names) < 5 {
		t.Fatalf("embedded files %v: %v", names, err)
	}
	for _, name := range names {
		resp, body := get(http.MethodGet, "/"+name)
		want, _ := fs.ReadFile(files, name)
		if resp.StatusCode != http.StatusOK || body != string(want) {
			t.Errorf("GET /%s: %s, %d bytes, want the %d embedded", name, resp.Status, len(body), len(want))
		}
		if ct := resp.Header.Get("Content-Type"); ct != wantTypes[path.Ext(name)] {
			t.Errorf("GET /%s: Content-Type %q, want %q", name, ct, wantTypes[path.Ext(name)])
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET /%s: no nosniff", name)
		}
	}

	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodGet, "/index.html", http.StatusOK},
		{http.MethodGet, "/missing.js", http.StatusNotFound},
		{http.MethodGet, "/embed.go", http.StatusNotFound},
		{http.MethodGet, "/../handler.go", http.StatusNotFound},
		{http.MethodGet, "/static/app.js", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodGet, "/ws", http.StatusUpgradeRequired}, // still the websocket
	} {
		if resp, _ := get(tc.method, tc.path); resp.StatusCode != tc.status {
			t.Errorf("%s %s: %s, want %d", tc.method, tc.path, resp.Status, tc.status)
		}
	}
}

// svgNamespace names the SVG vocabulary; nothing is loaded from it.
const svgNamespace = `xmlns="http://www.w3.org/2000/svg"`

var (
	anyURL   = regexp.MustCompile(`(?i)\b(https?|ftp)://|(src|href|action)\s*=\s*["']?\s*//|url\(\s*["']?\s*(https?:)?//|@import`)
	htmlRefs = regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	jsImport = regexp.MustCompile(`(?m)^import .* from '([^']*)';$`)
)

// The client loads nothing from elsewhere: no http(s) or protocol-relative
// address anywhere in its files, and every file it refers to is embedded.
func TestWebFilesHaveNoExternalReferences(t *testing.T) {
	files := web.Files()
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		text := strings.ReplaceAll(string(b), svgNamespace, "")
		for _, loc := range anyURL.FindAllStringIndex(text, -1) {
			line := strings.Count(text[:loc[0]], "\n") + 1
			t.Errorf("%s:%d refers to another origin: %q", name, line, text[loc[0]:loc[1]])
		}
		var refs [][]string
		switch path.Ext(name) {
		case ".html":
			refs = htmlRefs.FindAllStringSubmatch(text, -1)
		case ".js":
			refs = jsImport.FindAllStringSubmatch(text, -1)
		}
		for _, ref := range refs {
			target := strings.TrimPrefix(ref[1], "./")
			if _, err := fs.Stat(files, target); err != nil {
				t.Errorf("%s refers to %q, which is not embedded", name, ref[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
