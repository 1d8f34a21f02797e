package server_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// withListener starts an extra listener on a free loopback port.
func (e *env) withListener(cfg server.ListenerConfig) (*server.Listener, string) {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	l, err := e.srv.ServeListener(ln, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { l.Close() })
	return l, "ws://" + l.Addr().String() + "/ws"
}

func dialURL(t *testing.T, url, account, token string) (*call.Client, error) {
	t.Helper()
	c, err := call.Dial(ctx(t), call.Config{ServerURL: url, Account: account, Token: token,
		DeviceID: account + "-lan", ClientType: proto.ClientDesktop})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// An open server can answer on a second address that wants real tokens:
// nobody signs in there as a tokenless account, or without a token.
func TestListenerRequiresToken(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Open = true })
	host := e.dial("host", "host-desk") // open: no token
	_, lan := e.withListener(server.ListenerConfig{RequireToken: true})

	aliceToken, err := e.srv.AddAccount(ctx(t), "alice2")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, account, token string }{
		{"no token", "mallory", ""},
		{"made-up token", "mallory", "guess"},
		{"the host, tokenless", "host", ""},
		{"the host, any token", "host", "x"},
		{"invited account, no token", "alice2", ""},
		{"invited account, wrong token", "alice2", aliceToken + "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := dialURL(t, lan, tc.account, tc.token); !errors.Is(err, call.ErrUnauthorized) {
				t.Fatalf("sign-in as %q with %q: got %v, want unauthorized", tc.account, tc.token, err)
			}
		})
	}
	alice, err := dialURL(t, lan, "alice2", aliceToken)
	if err != nil {
		t.Fatalf("invited account with its token: %v", err)
	}
	// The loopback side stays open, and both sides share accounts and calls.
	if _, err := dialURL(t, e.url, "someone-local", ""); err != nil {
		t.Fatalf("open listener: %v", err)
	}
	cid := placeCall(t, alice, "host", proto.CallTypeAudio, host)
	connect(t, alice, host, cid)
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.ClientLeave](t, host)
	expect[*proto.HangupEvent](t, host)
}

func TestServerAddAccount(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Open = true })
	e.dial("host", "host-desk")

	if _, err := e.srv.AddAccount(ctx(t), "host"); !errors.Is(err, server.ErrSignsInWithoutToken) {
		t.Fatalf("token for an account that signs in without one: got %v", err)
	}
	if _, err := dialURL(t, e.url, "host", ""); err != nil {
		t.Fatalf("the host must still sign in without a token: %v", err)
	}
	if _, err := e.srv.AddAccount(ctx(t), "bad name!"); proto.CodeOf(err) != proto.CodeBadRequest {
		t.Fatalf("bad name: got %v", err)
	}
	first, err := e.srv.AddAccount(ctx(t), "zoe")
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.srv.AddAccount(ctx(t), "zoe")
	if err != nil || second == first {
		t.Fatalf("renewing a token: %q %v", second, err)
	}
	if _, err := dialURL(t, e.url, "zoe", first); !errors.Is(err, call.ErrUnauthorized) {
		t.Fatalf("old token after renewal: %v", err)
	}
	if _, err := dialURL(t, e.url, "zoe", second); err != nil {
		t.Fatalf("new token: %v", err)
	}
}

// Closing an extra listener ends the calls of its clients at once (not
// after the reconnect grace), tells them, and disconnects them; the rest of
// the server goes on.
func TestListenerCloseEndsCalls(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Open = true })
	host := e.dial("host", "host-desk")
	l, lan := e.withListener(server.ListenerConfig{RequireToken: true})
	token, err := e.srv.AddAccount(ctx(t), "guest")
	if err != nil {
		t.Fatal(err)
	}
	guest, err := dialURL(t, lan, "guest", token)
	if err != nil {
		t.Fatal(err)
	}
	cid := placeCall(t, guest, "host", proto.CallTypeVideo, host)
	connect(t, guest, host, cid)

	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*call.Client{host, guest} {
		if l := expect[*proto.ClientLeave](t, c); l.CID != cid || l.Reason != proto.ReasonNetworkLost {
			t.Fatalf("%s: clientLeave %+v", c.Account(), l)
		}
		h := expect[*proto.HangupEvent](t, c)
		if h.CID != cid || h.Reason != proto.ReasonNetworkLost {
			t.Fatalf("%s: hangup %+v, want cid %s networkLost", c.Account(), h, cid)
		}
	}
	d := expect[*call.Disconnected](t, guest)
	if d.Err == nil {
		t.Fatal("guest disconnected without a reason")
	}
	if r := waitRecord(t, host, cid); r.Status != proto.StatusNetworkLost {
		t.Fatalf("record status %v, want networkLost", r.Status)
	}
	if _, err := dialURL(t, lan, "guest", token); err == nil {
		t.Fatal("signed in on a closed listener")
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	// The host is still signed in and can call.
	other := e.dial("carol", "carol-desk")
	placeCall(t, host, "carol", proto.CallTypeAudio, other)
	if err := host.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.HangupEvent](t, other)
}

// Server.Close also closes extra listeners and their clients.
func TestServerCloseWithListener(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Open = true })
	_, lan := e.withListener(server.ListenerConfig{RequireToken: true})
	token, err := e.srv.AddAccount(context.Background(), "guest")
	if err != nil {
		t.Fatal(err)
	}
	guest, err := dialURL(t, lan, "guest", token)
	if err != nil {
		t.Fatal(err)
	}
	e.stop()
	expect[*call.Disconnected](t, guest)
	if _, err := dialURL(t, lan, "guest", token); err == nil {
		t.Fatal("signed in after Close")
	}
}
