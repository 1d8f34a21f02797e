package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call/proto"
	"duet/call/server"
)

// TestPingsOnlySilentClients: a client that pings the server is not
// pinged back, as it shows it is alive; one that stays silent is pinged
// every interval.
func TestPingsOnlySilentClients(t *testing.T) {
	const interval = 300 * time.Millisecond
	e := newEnv(t, func(c *server.Config) { c.PingInterval = interval })
	pinger := dialWatchingPings(t, e, "alice", "a1", true)
	silent := dialWatchingPings(t, e, "bob", "b1", true)

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for end := time.Now().Add(5 * interval); time.Now().Before(end); time.Sleep(interval / 10) {
		if err := pinger.ws.Ping(ctx); err != nil {
			t.Fatalf("the server did not answer a ping: %v", err)
		}
	}
	// One ping is allowed the pinger: a machine that stalls it for an
	// interval leaves it silent that long.
	if n := pinger.pinged.Load(); n > 1 {
		t.Errorf("a client pinging every %v was pinged %d times", interval/10, n)
	}
	if n := silent.pinged.Load(); n < 3 {
		t.Errorf("a silent client was pinged %d times in %v, want one every %v", n, 5*interval, interval)
	}
}

// TestMessagesDoNotWaitForAPong: while the server waits for a silent
// client's pong, what it has for the client goes out at once; the client
// is closed only when the pong is overdue.
func TestMessagesDoNotWaitForAPong(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.PingInterval = time.Second })
	bob := dialWatchingPings(t, e, "bob", "b1", false)
	deadline := time.Now().Add(testTimeout)
	for bob.pinged.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("bob was never pinged")
		}
		time.Sleep(10 * time.Millisecond)
	}
	alice := dialRaw(t, e.url)
	alice.login("alice", e.tokens["alice"], "a1")
	alice.request(proto.TypeCall, proto.Call{Type: proto.CallTypeVideo, Callee: "bob"})
	if got := <-bob.got; got != proto.TypeBeCalling {
		t.Fatalf("bob, his pong unsent, got %s before beCalling", got)
	}
	if got := <-bob.got; got != fmt.Sprint("closed ", int(proto.CloseKeepAlive)) {
		t.Errorf("bob, never answering the ping, then got %s", got)
	}
}

// pingWatcher is a raw connection, signed in, read in the background
// (pongs are sent by the reader), that counts the server's pings.
type pingWatcher struct {
	ws     *websocket.Conn
	pinged atomic.Int32
	// got has the type of each message read, and "closed CODE" last.
	got chan string
}

// dialWatchingPings signs account in; answer false leaves the server's
// pings without a pong.
func dialWatchingPings(t *testing.T, e *env, account, device string, answer bool) *pingWatcher {
	t.Helper()
	w := &pingWatcher{got: make(chan string, 64)}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, e.url, &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool { w.pinged.Add(1); return answer }})
	if err != nil {
		t.Fatal(err)
	}
	w.ws = ws
	c := &rawClient{t: t, ws: ws, lastID: 100}
	c.login(account, e.tokens[account], device)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				w.got <- fmt.Sprint("closed ", int(websocket.CloseStatus(err)))
				return
			}
			var env proto.Envelope
			json.Unmarshal(b, &env)
			select {
			case w.got <- env.Type:
			default: // nobody is looking
			}
		}
	}()
	t.Cleanup(func() {
		ws.CloseNow()
		<-done
	})
	return w
}
