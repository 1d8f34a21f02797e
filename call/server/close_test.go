package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// The close codes the server sends are documented in docs/protocol.md
// ("Close codes"); these tests pin the ones a client acts on.

// TestReplacedConnectionGetsCloseCode: signing in again as the same device
// closes the old connection with 4001 and its reason; the new one works.
func TestReplacedConnectionGetsCloseCode(t *testing.T) {
	e := newEnv(t, nil)
	old := dialRaw(t, e.url)
	old.login("alice", e.tokens["alice"], "laptop")
	newer := dialRaw(t, e.url)
	newer.login("alice", e.tokens["alice"], "laptop")
	ce := old.closedWith()
	wantEqual(t, "close of the replaced connection", [2]any{int(ce.Code), ce.Reason},
		[2]any{proto.CloseReplaced, proto.CloseReasonReplaced})
	newer.healthy()
}

// TestReplacedClientDoesNotReconnect: a reconnecting client whose device
// signs in elsewhere ends with ErrReplaced instead of taking the device
// back, and the newer connection keeps it, with its call.
func TestReplacedClientDoesNotReconnect(t *testing.T) {
	e := newEnv(t, nil)
	old := e.dial("alice", "laptop", reconnecting)
	bob := e.dial("bob", "b1")
	cid := placeCall(t, old, "bob", proto.CallTypeAudio, bob)
	connect(t, old, bob, cid)

	newer := e.dial("alice", "laptop", reconnecting)
	if ac := newer.Login().ActiveCall; ac == nil || ac.CID != cid {
		t.Fatalf("the newer connection did not take the call over: %+v", ac)
	}
	d := expect[*call.Disconnected](t, old)
	if !errors.Is(d.Err, call.ErrReplaced) {
		t.Fatalf("disconnected with %v, want ErrReplaced", d.Err)
	}
	select {
	case <-old.Done():
	case <-time.After(testTimeout):
		t.Fatal("the replaced client did not end")
	}
	if err := old.Err(); !errors.Is(err, call.ErrReplaced) {
		t.Fatalf("Err() = %v, want ErrReplaced", err)
	}
	if _, err := old.Contacts(ctx(t)); !errors.Is(err, call.ErrReplaced) || !errors.Is(err, call.ErrClosed) {
		t.Fatalf("request on the replaced client: %v, want ErrClosed and ErrReplaced", err)
	}
	// Nobody came back to take the device: the newer connection stays up
	// and carries the call.
	expectQuiet(t, newer, 500*time.Millisecond)
	if !newer.Connected() {
		t.Fatal("the newer connection was dropped")
	}
	if _, err := newer.StartRTC(ctx(t), 0); err != nil {
		t.Fatal(err)
	}
	expect[*proto.SyncDone](t, newer)
	expect[*proto.ClientJoin](t, bob)
}

// TestShutdownSendsGoingAway: Close gives every connection, signed in or
// not, 1001 and its reason, without waiting long for clients that answer;
// a reconnecting client learns 1001 and comes back to the restarted server.
func TestShutdownSendsGoingAway(t *testing.T) {
	e := newEnv(t, nil)
	signed := dialRaw(t, e.url)
	signed.login("alice", e.tokens["alice"], "a-raw")
	pending := dialRaw(t, e.url)
	bob := e.dial("bob", "b1", reconnecting)

	srv := e.srv
	start := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	for _, c := range []*rawClient{signed, pending} {
		ce := c.closedWith()
		wantEqual(t, "close at shutdown", [2]any{int(ce.Code), ce.Reason},
			[2]any{proto.CloseGoingAway, proto.CloseReasonShutdown})
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Close took %s with clients that answered the close frame", took)
	}
	lost := expect[*call.Reconnecting](t, bob)
	if websocket.CloseStatus(lost.Err) != proto.CloseGoingAway {
		t.Fatalf("bob lost the connection with %v, want close status 1001", lost.Err)
	}
	e.start(e.addr)
	expect[*call.Reconnected](t, bob)
	if _, err := bob.Contacts(ctx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestUnansweredPingClosesWithCode: a client that stops answering pings
// gets 4002 when it reads again.
func TestUnansweredPingClosesWithCode(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.PingInterval = 100 * time.Millisecond })
	c := dialRaw(t, e.url)
	c.login("alice", e.tokens["alice"], "a-raw")
	// Pongs are sent by the reader: not reading is not answering.
	time.Sleep(time.Second)
	ce := c.closedWith()
	wantEqual(t, "close of a silent client", [2]any{int(ce.Code), ce.Reason},
		[2]any{proto.CloseKeepAlive, "no pong within 100ms"})
}

// TestSlowClientClosedWithCode: a client that lets its queue fill gets 4003
// after what was already on its way.
func TestSlowClientClosedWithCode(t *testing.T) {
	logs := newLogSink()
	e := newEnv(t, func(c *server.Config) {
		c.SendQueue, c.WriteTimeout, c.Logger = 4, 5*time.Second, logs.logger()
		c.Limits.Off = true
	})
	bobc := e.dial("bob", "b1")
	alice := dialRaw(t, e.url)
	alice.login("alice", e.tokens["alice"], "a-raw")
	cid := rawCall(t, alice, bobc)
	bobc.Close() // bob's device comes back raw, and stops reading
	bob := dialRaw(t, e.url)
	bob.do(proto.TypeLogin, proto.Login{Account: "bob", Token: e.tokens["bob"], ClientType: proto.ClientWeb, DeviceID: "b1"}, nil)
	bob.do(proto.TypeStartRTC, proto.StartRTC{CID: cid}, nil)

	payload, _ := json.Marshal(map[string]string{"sdp": strings.Repeat("x", 60<<10)})
	for i := 0; len(logs.find(slog.LevelWarn, "client too slow")) == 0; i++ {
		if i == 5000 {
			t.Fatal("bob's queue never filled")
		}
		alice.do(proto.TypeRelay, proto.Relay{CID: cid, Kind: "offer", Payload: payload}, nil)
	}
	ce := bob.closedWith()
	wantEqual(t, "close of a slow client", [2]any{int(ce.Code), ce.Reason},
		[2]any{proto.CloseTooSlow, "too slow: 4 messages waiting"})
}

// TestHardLimitCloseCode: a message over 1 MiB gets 1009 with the
// WebSocket library's reason.
func TestHardLimitCloseCode(t *testing.T) {
	e := newEnv(t, nil)
	c := dialRaw(t, e.url)
	c.login("alice", e.tokens["alice"], "a-raw")
	wctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	w, err := c.ws.Writer(wctx, websocket.MessageText)
	if err != nil {
		t.Fatal(err)
	}
	// Streamed in pieces, so the server's close arrives while the client
	// still writes; the write may then fail.
	chunk := []byte(strings.Repeat("x", 64<<10))
	for range 20 {
		if _, err := w.Write(chunk); err != nil {
			break
		}
	}
	ce := c.closedWith()
	wantEqual(t, "close of an oversized message", [2]any{int(ce.Code), ce.Reason},
		[2]any{proto.CloseMessageTooBig, "read limited at 1048577 bytes"})
}
