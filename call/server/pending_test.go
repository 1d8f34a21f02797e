package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// closedWith waits for the server to close c and returns the close status
// and reason it gave.
func (c *rawClient) closedWith() websocket.CloseError {
	c.t.Helper()
	rctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for {
		_, _, err := c.ws.Read(rctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("connection ended without a close frame: %v", err)
		}
		return ce
	}
}

func TestLoginDeadline(t *testing.T) {
	const timeout = 500 * time.Millisecond
	e := newEnv(t, func(c *server.Config) { c.LoginTimeout = timeout })
	signed := dialRaw(t, e.url)
	signed.login("alice", e.tokens["alice"], "a-raw")
	idle := dialRaw(t, e.url)
	refused := dialRaw(t, e.url)
	refused.fail(proto.TypeLogin, proto.Login{Account: "alice", Token: "wrong", ClientType: proto.ClientWeb}, proto.CodeUnauthorized)

	start := time.Now()
	for _, c := range []*rawClient{idle, refused} {
		ce := c.closedWith()
		if ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, "not signed in") {
			t.Fatalf("closed with %v, want policy violation saying it did not sign in", ce)
		}
	}
	if waited := time.Since(start); waited > testTimeout/2 {
		t.Fatalf("closed after %s with a login timeout of %s", waited, timeout)
	}
	// Signed-in connections are not affected.
	time.Sleep(timeout)
	signed.healthy()
}

// dialPending opens a connection that does not sign in, or returns the
// HTTP status it was refused with.
func dialPending(t *testing.T, url string) (*websocket.Conn, int) {
	t.Helper()
	ws, resp, err := websocket.Dial(ctx(t), url, nil)
	if err != nil {
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return nil, resp.StatusCode
	}
	t.Cleanup(func() { ws.CloseNow() })
	return ws, http.StatusSwitchingProtocols
}

// eventually retries f until it succeeds or the test times out: the
// server learns of a closed connection a moment after the client closes it.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not after %s", what, testTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPendingPerIP(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxPendingPerIP, c.MaxPending = 3, 100 })
	defer http.DefaultClient.CloseIdleConnections()
	var open []*websocket.Conn
	for range 3 {
		ws, status := dialPending(t, e.url)
		if ws == nil {
			t.Fatalf("connection %d refused with %d", len(open)+1, status)
		}
		open = append(open, ws)
	}
	if _, status := dialPending(t, e.url); status != http.StatusTooManyRequests {
		t.Fatalf("fourth connection not signed in: got %d, want 429", status)
	}
	// The Go client explains the refusal.
	_, err := call.Dial(ctx(t), call.Config{ServerURL: e.url, Account: "bob", Token: e.tokens["bob"]})
	if err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("dial while the limit is reached: %v", err)
	}

	// Signing in frees a place.
	c := &rawClient{t: t, ws: open[0], lastID: 100}
	open[0].SetReadLimit(1 << 20)
	c.login("alice", e.tokens["alice"], "a-raw")
	bob := e.dial("bob", "b1")
	bob.Close()
	// So does closing a connection.
	open[1].CloseNow()
	eventually(t, "a place freed by a closed connection", func() bool {
		ws, _ := dialPending(t, e.url)
		return ws != nil
	})
	c.healthy()
}

func TestPendingOverall(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxPendingPerIP, c.MaxPending = 10, 2 })
	defer http.DefaultClient.CloseIdleConnections()
	for range 2 {
		if ws, status := dialPending(t, e.url); ws == nil {
			t.Fatalf("refused with %d", status)
		}
	}
	if _, status := dialPending(t, e.url); status != http.StatusServiceUnavailable {
		t.Fatalf("third connection not signed in: got %d, want 503", status)
	}
}
