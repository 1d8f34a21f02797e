package server_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call/server"
)

// TestPingsOnlySilentClients: a client that pings the server is not
// pinged back, as it shows it is alive; one that stays silent is pinged
// every interval.
func TestPingsOnlySilentClients(t *testing.T) {
	const interval = 300 * time.Millisecond
	e := newEnv(t, func(c *server.Config) { c.PingInterval = interval })
	pinger, pingerPinged := dialCountingPings(t, e, "alice", "a1")
	_, silentPinged := dialCountingPings(t, e, "bob", "b1")

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for end := time.Now().Add(5 * interval); time.Now().Before(end); time.Sleep(interval / 10) {
		if err := pinger.Ping(ctx); err != nil {
			t.Fatalf("the server did not answer a ping: %v", err)
		}
	}
	// One ping is allowed the pinger: a machine that stalls it for an
	// interval leaves it silent that long.
	if n := pingerPinged.Load(); n > 1 {
		t.Errorf("a client pinging every %v was pinged %d times", interval/10, n)
	}
	if n := silentPinged.Load(); n < 3 {
		t.Errorf("a silent client was pinged %d times in %v, want one every %v", n, 5*interval, interval)
	}
}

// dialCountingPings signs a raw connection in and reads it in the
// background (pongs are sent by the reader), counting the server's pings.
func dialCountingPings(t *testing.T, e *env, account, device string) (*websocket.Conn, *atomic.Int32) {
	t.Helper()
	var pinged atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, e.url, &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool { pinged.Add(1); return true }})
	if err != nil {
		t.Fatal(err)
	}
	c := &rawClient{t: t, ws: ws, lastID: 100}
	c.login(account, e.tokens[account], device)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		ws.CloseNow()
		<-done
	})
	return ws, &pinged
}
