package server_test

import (
	"log/slog"
	"net/http"
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
		srv, err := server.New(server.Config{DB: server.NewTestDB(t), AllowOrigins: patterns})
		if err == nil {
			srv.Close()
			t.Fatalf("origin patterns %q accepted", patterns)
		}
	}
}

// TestRefusedOriginLogsTheFlagThatAllowsIt: a page on 127.0.0.1:8655 is
// refused by --allow-origin 127.0.0.1 (the origin's port counts), and the
// server says which value would let it in; that value does.
func TestRefusedOriginLogsTheFlagThatAllowsIt(t *testing.T) {
	logs := newLogSink()
	e := newEnv(t, func(c *server.Config) {
		c.Logger = logs.logger()
		c.AllowOrigins = []string{"127.0.0.1"}
	})
	dial := func(url string) (*websocket.Conn, *http.Response, error) {
		h := http.Header{"Origin": {"http://127.0.0.1:8655"}}
		return websocket.Dial(ctx(t), url, &websocket.DialOptions{HTTPHeader: h})
	}
	ws, resp, err := dial(e.url)
	if err == nil {
		ws.CloseNow()
		t.Fatal("a page on 127.0.0.1:8655 got in with --allow-origin 127.0.0.1")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("want 403, got %v %v", resp, err)
	}
	logs.wait(t, slog.LevelWarn, "refused a web page", "origin", "http://127.0.0.1:8655",
		"allow", "--allow-origin 127.0.0.1:8655")

	// A page that retries in a loop is warned about once.
	for range 3 {
		if ws, _, err := dial(e.url); err == nil {
			ws.CloseNow()
		}
	}
	if n := len(logs.find(slog.LevelWarn, "refused a web page")); n != 1 {
		t.Fatalf("%d warnings for one origin, want 1", n)
	}

	e.stop()
	e.cfg.AllowOrigins = []string{"127.0.0.1:8655"}
	e.start("127.0.0.1:0")
	ws, _, err = dial(e.url)
	if err != nil {
		t.Fatalf("--allow-origin 127.0.0.1:8655 refused the page: %v", err)
	}
	ws.SetReadLimit(1 << 20)
	c := &rawClient{t: t, ws: ws, lastID: 100}
	t.Cleanup(func() { ws.CloseNow() })
	c.login("alice", e.tokens["alice"], "browser")
	c.healthy()
	http.DefaultClient.CloseIdleConnections()
}
