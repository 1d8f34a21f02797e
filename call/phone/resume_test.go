package phone_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"duet/call"
	"duet/call/internal/netfault"
	"duet/call/leaktest"
	"duet/call/phone"
	"duet/call/proto"
	"duet/call/server"
)

func reconnectFast(c *call.Config) {
	c.Reconnect = true
	c.ReconnectMin, c.ReconnectMax = 50*time.Millisecond, 500*time.Millisecond
	c.PingInterval, c.PingTimeout = 500*time.Millisecond, 500*time.Millisecond
}

// framesKeepFlowing waits for both phones to decode n more frames.
func framesKeepFlowing(t *testing.T, what string, n int, phones ...*testPhone) {
	t.Helper()
	for _, p := range phones {
		from := len(p.frameStamps())
		eventually(t, p.account+" decoding frames "+what, func() bool { return len(p.frameStamps()) >= from+n })
	}
}

func TestCallSurvivesServerKill(t *testing.T) {
	leaktest.Check(t)
	db := filepath.Join(t.TempDir(), "duet.db")
	addr, kill := startServerProcess(t, db, "127.0.0.1:0")
	r := &rig{t: t, url: "ws://" + addr + "/ws", client: reconnectFast}
	alice, bob := r.phone("alice", 440), r.phone("bob", 660)
	cid, _, _ := connectCall(t, alice, bob, proto.CallTypeVideo)
	framesKeepFlowing(t, "before the kill", 30, alice, bob)
	answered := bob.Client().Current()

	kill()
	expect[*call.Reconnecting](t, alice)
	expect[*call.Reconnecting](t, bob)
	framesKeepFlowing(t, "while the server is down", 30, alice, bob)
	// Mutes made now cannot be relayed; both sides learn them after.
	alice.Media().SetMicrophone(false)
	bob.Media().SetMicrophone(false)

	srv, err := server.New(server.Config{DB: db, Open: true, ReconnectGrace: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	for _, p := range []*testPhone{alice, bob} {
		rc := expect[*call.Reconnected](t, p)
		if rc.ActiveCall == nil || rc.ActiveCall.CID != cid {
			t.Fatalf("%s resumed %+v, want call %s", p.account, rc.ActiveCall, cid)
		}
	}
	if got := bob.Client().Current(); got != answered {
		t.Fatalf("bob's call after the restart %+v, want %+v", got, answered)
	}
	framesKeepFlowing(t, "after the restart", 30, alice, bob)
	if alice.Media() == nil || bob.Media() == nil {
		t.Fatal("a media session ended across the restart")
	}
	eventually(t, "each seeing the other's mute made while the server was down", func() bool {
		aliceAudio, aliceVideo := bob.Media().PeerMedia()
		bobAudio, bobVideo := alice.Media().PeerMedia()
		return !aliceAudio && aliceVideo && !bobAudio && bobVideo
	})

	hangUpAndCheckRecord(t, alice, bob, cid)
}

func TestCallSurvivesTenSecondNetworkLoss(t *testing.T) {
	r := newRig(t)
	target := r.url[len("ws://") : len(r.url)-len("/ws")]
	proxy, err := netfault.New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	alice := r.phone("alice", 440)
	r.url, r.client = "ws://"+proxy.Addr()+"/ws", reconnectFast
	bob := r.phone("bob", 660)
	cid, _, _ := connectCall(t, alice, bob, proto.CallTypeVideo)
	framesKeepFlowing(t, "before the loss", 30, alice, bob)

	// Bob's signaling packets vanish for ten seconds; his client notices
	// through its pings. Media is peer to peer and does not pass the proxy.
	proxy.Set(netfault.Blackhole)
	lost := time.Now()
	expect[*call.Reconnecting](t, bob)
	framesKeepFlowing(t, "during the loss", 60, alice, bob)
	bob.Media().SetMicrophone(false) // lost with its relay; sent again on reconnect
	time.Sleep(10*time.Second - time.Since(lost))
	framesKeepFlowing(t, "at the end of the loss", 30, alice, bob)
	proxy.Set(netfault.Cut) // hung attempts fail fast, as when a route returns
	proxy.Set(netfault.Pass)

	rc := expect[*call.Reconnected](t, bob)
	if rc.ActiveCall == nil || rc.ActiveCall.CID != cid || !rc.ActiveCall.Answered {
		t.Fatalf("bob resumed %+v, want call %s", rc.ActiveCall, cid)
	}
	framesKeepFlowing(t, "after the loss", 30, alice, bob)
	eventually(t, "alice seeing the mute bob made during the loss", func() bool {
		audio, _ := alice.Media().PeerMedia()
		return !audio
	})
	// The signaling path between them works again.
	bob.Media().SetMicrophone(true)
	eventually(t, "alice seeing bob's microphone on again", func() bool {
		audio, _ := alice.Media().PeerMedia()
		return audio
	})
	hangUpAndCheckRecord(t, bob, alice, cid)
}

// hangUpAndCheckRecord ends the call from ender and checks that both sides
// tear down and that the record says it completed.
func hangUpAndCheckRecord(t *testing.T, ender, other *testPhone, cid string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := ender.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	expect[*phone.MediaEnded](t, ender)
	expect[*proto.HangupEvent](t, other)
	expect[*phone.MediaEnded](t, other)
	rec := expect[*proto.CallRecordEvent](t, other)
	if rec.CID != cid || rec.Status != proto.StatusCompleted || rec.EndedBy != ender.account || rec.AnsweredAt == 0 {
		t.Fatalf("record %+v, want a completed call %s ended by %s", rec.CallRecord, cid, ender.account)
	}
}

// A phone that starts on a client the server handed a call from an earlier
// run (the app or bot quit or crashed mid-call) hangs it up: its media is
// gone, and the account would otherwise stay busy.
func TestNewPhoneEndsACallLeftOpenByAnEarlierRun(t *testing.T) {
	r := newRig(t)
	alice, bob := r.phone("alice", 440), r.phone("bob", 660)
	cid, _, _ := connectCall(t, alice, bob, proto.CallTypeAudio)
	alice.Client().Close() // the earlier run is gone; the server holds the call

	again := r.phone("alice", 440) // the same device id
	ended := expect[*phone.StaleCallEnded](t, again)
	if ended.CID != cid || ended.Peer != "bob" {
		t.Fatalf("stale call %+v, want %s with bob", ended, cid)
	}
	hu := expect[*proto.HangupEvent](t, bob)
	if hu.CID != cid || hu.Account != "alice" {
		t.Fatalf("bob got %+v, want alice's hangup of %s", hu, cid)
	}
	if again.Client().Current().Phase != call.PhaseIdle {
		t.Fatal("the stale call is still current")
	}
}
