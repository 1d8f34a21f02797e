package server_test

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/coder/websocket"

	"duet/call/server"
)

// TestOriginCheck dials with the Origin header browsers send: pages from
// other sites are refused with 403 unless a pattern allows them; clients
// that send no Origin, and pages from the server's own host, get in.
func TestOriginCheck(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.AllowOrigins = []string{"app.example.com", "https://*.trusted.example"}
	})
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + e.addr, true}, // a page served by the server's own host
		{"https://evil.example", false},
		{"null", false}, // sandboxed frames and file:// pages
		{"http://127.0.0.1", false},
		{"https://app.example.com", true},
		{"http://app.example.com", true}, // a host pattern ignores the scheme
		{"https://app.example.com.evil.example", false},
		{"https://video.trusted.example", true},
		{"http://video.trusted.example", false}, // a pattern with a scheme needs it
		{"https://trusted.example", false},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			ws, resp, err := websocket.Dial(ctx(t), e.url, &websocket.DialOptions{HTTPHeader: h})
			if !tc.ok {
				if err == nil {
					ws.CloseNow()
					t.Fatalf("origin %q got in", tc.origin)
				}
				if resp == nil || resp.StatusCode != http.StatusForbidden {
					t.Fatalf("origin %q: want 403, got %v %v", tc.origin, resp, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("origin %q refused: %v", tc.origin, err)
			}
			ws.SetReadLimit(1 << 20)
			c := &rawClient{t: t, ws: ws, lastID: 100}
			t.Cleanup(func() { ws.CloseNow() })
			c.login("alice", e.tokens["alice"], "browser")
			c.healthy()
		})
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestOriginPatternsChecked(t *testing.T) {
	for _, patterns := range [][]string{{"*"}, {"*://*"}, {""}, {"[bad"}} {
		srv, err := server.New(server.Config{DBPath: filepath.Join(t.TempDir(), "duet.db"), AllowOrigins: patterns})
		if err == nil {
			srv.Close()
			t.Fatalf("origin patterns %q accepted", patterns)
		}
	}
}
