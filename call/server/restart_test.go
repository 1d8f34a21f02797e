package server_test

import (
	"testing"
	"time"

	"duet/call"
	"duet/call/internal/netfault"
	"duet/call/proto"
	"duet/call/server"
)

// reconnecting makes a client redial at once after losing the server.
func reconnecting(c *call.Config) {
	c.Reconnect = true
	c.ReconnectMin, c.ReconnectMax = 20*time.Millisecond, 200*time.Millisecond
}

func TestAnsweredCallSurvivesServerRestart(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.ReconnectGrace = 5 * time.Second })
	alice, bob := e.dial("alice", "a1", reconnecting), e.dial("bob", "b1", reconnecting)
	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob)
	connect(t, alice, bob, cid)
	answered := bob.Current()

	e.restart()
	for _, c := range []*call.Client{alice, bob} {
		expect[*call.Reconnecting](t, c)
		rc := expect[*call.Reconnected](t, c)
		if rc.ActiveCall == nil || rc.ActiveCall.CID != cid || !rc.ActiveCall.Answered {
			t.Fatalf("%s: reconnected with active call %+v, want %s", c.Account(), rc.ActiveCall, cid)
		}
	}
	wantEqual(t, "bob's call after restart", bob.Current(), answered)
	if err := alice.Relay(ctx(t), "media", map[string]bool{"video": true}); err != nil {
		t.Fatalf("relay after restart: %v", err)
	}
	expect[*proto.RelayEvent](t, bob)

	hangupReaches(t, alice, bob)
	r := waitRecord(t, bob, cid)
	wantEqual(t, "record", [2]any{r.Status, r.EndedBy}, [2]any{proto.StatusCompleted, "alice"})
	if r.AnsweredAt == 0 || r.Duration <= 0 {
		t.Fatalf("record lost the answer time across the restart: %+v", r)
	}
}

func TestServerRestartEndsCallsNobodyResumes(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.ReconnectGrace = 200 * time.Millisecond })
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	carol, dave := e.dial("carol", "c1"), e.dial("dave", "d1")
	ringing := placeCall(t, carol, "dave", proto.CallTypeAudio, dave)

	stopped := time.Now().UnixMilli()
	e.restart()
	restarted := time.Now().UnixMilli()
	watcher := e.dial("alice", "history-reader")
	r := awaitHistory(t, watcher, cid)
	// Lost together with the server: neither party ended it.
	wantEqual(t, "answered call", [2]any{r.Status, r.EndedBy}, [2]any{proto.StatusNetworkLost, ""})
	if r.EndedAt < stopped || r.EndedAt > restarted+100 {
		t.Fatalf("record ends at %d, want the restart (%d..%d), not the end of the grace", r.EndedAt, stopped, restarted)
	}
	r = awaitHistory(t, e.dial("dave", "history-reader"), ringing)
	wantEqual(t, "ringing call", r.Status, proto.StatusNetworkLost)
}

func TestResumedCallerGetsAnswerMissedWhileAway(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.CallerGrace = 5 * time.Second })
	proxy := newCutProxy(t, e.addr)
	alice := e.dial("alice", "a1", reconnecting, func(c *call.Config) { c.ServerURL = proxy.url })
	bob := e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	proxy.cut()
	expect[*call.Reconnecting](t, alice)
	if err := bob.Response(ctx(t), cid, true); err != nil {
		t.Fatal(err)
	}
	proxy.restore()
	acc := expect[*proto.CallAccepted](t, alice)
	wantEqual(t, "accepted", acc.CID, cid)
	expect[*call.Reconnected](t, alice)
	if got := alice.Current(); got.Phase != call.PhaseAnswered {
		t.Fatalf("alice's call after reconnect: %+v", got)
	}
}

func TestRingingCalleeLearnsCancelMissedWhileAway(t *testing.T) {
	e := newEnv(t, nil)
	proxy := newCutProxy(t, e.addr)
	alice := e.dial("alice", "a1")
	bob := e.dial("bob", "b1", reconnecting, func(c *call.Config) { c.ServerURL = proxy.url })
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	proxy.cut()
	expect[*call.Reconnecting](t, bob)
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	proxy.restore()
	hu := expect[*proto.HangupEvent](t, bob)
	wantEqual(t, "missed cancel", [2]any{hu.CID, hu.Reason}, [2]any{cid, proto.ReasonNetworkLost})
	expect[*call.Reconnected](t, bob)
	if got := bob.Current(); got.Phase != call.PhaseIdle {
		t.Fatalf("bob still rings after reconnect: %+v", got)
	}
}

func TestRingingCalleeKeepsRingingAcrossReconnect(t *testing.T) {
	e := newEnv(t, nil)
	proxy := newCutProxy(t, e.addr)
	alice := e.dial("alice", "a1")
	bob := e.dial("bob", "b1", reconnecting, func(c *call.Config) { c.ServerURL = proxy.url })
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	proxy.cut()
	expect[*call.Reconnecting](t, bob)
	proxy.restore()
	expect[*call.Reconnected](t, bob) // and no second beCalling, no hangup
	expectQuiet(t, bob, 200*time.Millisecond)
	if err := bob.Response(ctx(t), cid, true); err != nil {
		t.Fatalf("answer after reconnect: %v", err)
	}
	expect[*proto.CallAccepted](t, alice)
}

func TestHangupWhileReconnectingEndsCallOnServer(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.ReconnectGrace = 10 * time.Second })
	proxy := newCutProxy(t, e.addr)
	alice := e.dial("alice", "a1", reconnecting, func(c *call.Config) { c.ServerURL = proxy.url })
	bob := e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	proxy.cut()
	expect[*call.Reconnecting](t, alice)
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatalf("hang up while reconnecting: %v", err)
	}
	if got := alice.Current(); got.Phase != call.PhaseIdle {
		t.Fatalf("call still current after hangup: %+v", got)
	}
	proxy.restore()
	expect[*call.Reconnected](t, alice)
	expect[*proto.ClientLeave](t, bob)
	hu := expect[*proto.HangupEvent](t, bob)
	wantEqual(t, "hangup", [2]any{hu.CID, hu.Account}, [2]any{cid, "alice"})
}

// awaitHistory polls c's history until cid's record appears.
func awaitHistory(t *testing.T, c *call.Client, cid string) proto.CallRecord {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for time.Now().Before(deadline) {
		page, err := c.History(ctx(t), 0, 50)
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		for _, r := range page.Records {
			if r.CID == cid {
				return r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no record of %s in %s's history", cid, c.Account())
	return proto.CallRecord{}
}

// cutProxy stands between a client and the server so a test can break
// that one client's network.
type cutProxy struct {
	p   *netfault.Proxy
	url string
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	p, err := netfault.New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return &cutProxy{p: p, url: "ws://" + p.Addr() + "/ws"}
}

func (c *cutProxy) cut()     { c.p.Set(netfault.Cut) }
func (c *cutProxy) restore() { c.p.Set(netfault.Pass) }
