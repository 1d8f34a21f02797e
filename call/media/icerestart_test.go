package media_test

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"duet/call/media"
	"duet/call/proto"
)

// Restarts on their own, soon after the path is lost, retried often.
var autoICE = media.ICEConfig{RestartAfter: 300 * time.Millisecond, RestartRetry: time.Second}

// Restarts only through RestartICE: the next attempt on its own is far off.
var manualICE = media.ICEConfig{RestartAfter: -1, RestartRetry: time.Hour}

// TestICERestartAfterLinkOutage cuts the network between two peers until
// ICE fails; the first offerer restarts ICE over the working signaling and
// keeps retrying, and once the link is back video flows again both ways on
// the same peer connection and tracks.
func TestICERestartAfterLinkOutage(t *testing.T) {
	l, alice, bob := callOnLAN(t, autoICE)
	both := []*peer{alice, bob}
	before := flowing(t, both, 15)

	l.down.Store(true)
	for _, p := range both {
		eventually(t, p.name+" losing the path", func() bool { return pathLost(p) })
	}
	// Bob offered first, so he restarts; alice accepts. Two restarts of his
	// while the link is down show the retries.
	eventually(t, "bob restarting ICE twice", func() bool { return restarts(bob, false) >= 2 })
	eventually(t, "alice accepting a restart", func() bool { return restarts(alice, true) >= 1 })
	during := frameCounts(both)
	time.Sleep(300 * time.Millisecond)
	for _, p := range both {
		if n := p.frames.Load() - during[p]; n != 0 {
			t.Fatalf("%s decoded %d frames with the link down", p.name, n)
		}
	}

	for _, p := range both {
		p.resume.Store(true)
	}
	l.down.Store(false)
	restored := time.Now()
	after := flowingAgain(t, both, during, 30)
	for _, p := range both {
		down := reconnected(p)
		t.Logf("%s: frames before %d, during 0, after %d; path down %s; video back %s after the link",
			p.name, before[p], after[p]-during[p], down.Round(time.Millisecond), p.backAfter(restored))
		if st := p.media().Stats(); st.ICERestarts < 1 {
			t.Errorf("%s: Stats.ICERestarts = %d", p.name, st.ICERestarts)
		}
		// One video track, one receiver, from start to end.
		if n := count[media.FirstFrame](p); n != 1 {
			t.Errorf("%s: %d first frames: a receiver was re-created", p.name, n)
		}
	}
	if !bob.logs.has("ice restart") || !alice.logs.has("ice reconnected") {
		t.Error("restart and reconnection not logged")
	}
}

// TestICERestartWaitsForSignaling: when the restart is due the signaling
// relay is down too. The offer cannot be sent; the attempts go on, and the
// first one after signaling is back restores the call.
func TestICERestartWaitsForSignaling(t *testing.T) {
	l, alice, bob := callOnLAN(t, autoICE)
	both := []*peer{alice, bob}
	flowing(t, both, 15)

	alice.gate.closed.Store(true)
	bob.gate.closed.Store(true)
	l.down.Store(true)
	eventually(t, "bob's restart offer refused twice", func() bool { return bob.gate.refusedOffers.Load() >= 2 })
	l.down.Store(false)
	// The link is back. The old path may carry media again, as it does
	// through any restart (TestICERestartKeepsMedia), but the restart
	// needs the signaling: its attempts go on and none is negotiated.
	refused := bob.gate.refusedOffers.Load()
	eventually(t, "bob's restart offer refused with the link back", func() bool { return bob.gate.refusedOffers.Load() > refused })
	for _, p := range both {
		if p.logs.has("ice restart negotiated") {
			t.Fatalf("%s negotiated a restart without signaling", p.name)
		}
	}

	during := frameCounts(both)
	alice.gate.closed.Store(false)
	bob.gate.closed.Store(false)
	eventually(t, "the restart negotiated once signaling is back", func() bool { return bob.logs.has("ice restart negotiated") })
	flowingAgain(t, both, during, 30)
	for _, p := range both {
		reconnected(p)
	}
}

// TestRestartICEWhenSignalingResumes: restarts are left to RestartICE, as
// the phone calls it once its signaling connection is back. The answerer
// restarts, which works from either side; its first try finds signaling
// down and fails quietly.
func TestRestartICEWhenSignalingResumes(t *testing.T) {
	l, alice, bob := callOnLAN(t, manualICE)
	both := []*peer{alice, bob}
	flowing(t, both, 15)

	alice.gate.closed.Store(true)
	l.down.Store(true)
	for _, p := range both {
		eventually(t, p.name+" failing", func() bool { return failed(p) })
	}
	alice.media().RestartICE()
	eventually(t, "alice's restart offer refused", func() bool { return alice.gate.refusedOffers.Load() >= 1 })
	l.down.Store(false)
	during := frameCounts(both)

	alice.gate.closed.Store(false)
	alice.media().RestartICE()
	flowingAgain(t, both, during, 30)
	for _, p := range both {
		reconnected(p)
	}
	if restarts(alice, false) < 1 || restarts(bob, true) < 1 || restarts(bob, false) != 0 {
		t.Errorf("restarts: alice's own %d, bob's own %d, bob's accepted %d; want alice's accepted by bob",
			restarts(alice, false), restarts(bob, false), restarts(bob, true))
	}
}

// TestICERestartOfferCollision: both sides restart at once, so their offers
// cross. The first offerer keeps its offer; the other drops its own and
// answers, and the call recovers.
func TestICERestartOfferCollision(t *testing.T) {
	l, alice, bob := callOnLAN(t, manualICE)
	both := []*peer{alice, bob}
	flowing(t, both, 15)

	// Both restart while signaling is down, so both hold an unanswered offer.
	alice.gate.closed.Store(true)
	bob.gate.closed.Store(true)
	l.down.Store(true)
	for _, p := range both {
		eventually(t, p.name+" failing", func() bool { return failed(p) })
		p.media().RestartICE()
	}
	for _, p := range both {
		eventually(t, p.name+"'s restart offer refused", func() bool { return p.gate.refusedOffers.Load() >= 1 })
	}
	l.down.Store(false)
	during := frameCounts(both)
	alice.gate.closed.Store(false)
	bob.gate.closed.Store(false)
	// Alice's offer reaches bob, who holds his own: he keeps it and sends it
	// again; it reaches alice, who holds hers: she yields.
	alice.media().RestartICE()
	flowingAgain(t, both, during, 30)
	if !bob.logs.has("offer collision: keeping our restart offer") {
		t.Error("bob did not keep his offer")
	}
	if !alice.logs.has("offer collision: yielding to the peer's offer") {
		t.Error("alice did not yield")
	}
	for _, p := range both {
		reconnected(p)
	}
}

// flowing waits until each peer has decoded n frames and returns the counts.
func flowing(t testing.TB, peers []*peer, n int64) map[*peer]int64 {
	t.Helper()
	for _, p := range peers {
		eventually(t, p.name+" decoding frames", func() bool { return p.frames.Load() >= n })
	}
	return frameCounts(peers)
}

// flowingAgain waits until each peer has decoded n more frames than at mark.
func flowingAgain(t testing.TB, peers []*peer, mark map[*peer]int64, n int64) map[*peer]int64 {
	t.Helper()
	for _, p := range peers {
		eventually(t, p.name+" decoding frames again", func() bool { return p.frames.Load() >= mark[p]+n })
	}
	return frameCounts(peers)
}

func frameCounts(peers []*peer) map[*peer]int64 {
	out := map[*peer]int64{}
	for _, p := range peers {
		out[p] = p.frames.Load()
	}
	return out
}

// backAfter is how long after t the first frame after resume was set was decoded.
func (p *peer) backAfter(t time.Time) time.Duration {
	return time.Unix(0, p.resumedAt.Load()).Sub(t).Round(time.Millisecond)
}

func pathLost(p *peer) bool {
	return len(p.mediaEvents(func(ev media.Event) bool {
		c, ok := ev.(media.ConnectionChanged)
		return ok && (c.State == webrtc.PeerConnectionStateDisconnected || c.State == webrtc.PeerConnectionStateFailed)
	})) > 0
}

func failed(p *peer) bool {
	return len(p.mediaEvents(func(ev media.Event) bool {
		c, ok := ev.(media.ConnectionChanged)
		return ok && c.State == webrtc.PeerConnectionStateFailed
	})) > 0
}

// restarts counts p's ICE restarts, begun by itself or by its peer.
func restarts(p *peer, byPeer bool) int {
	return len(p.mediaEvents(func(ev media.Event) bool {
		r, ok := ev.(media.ICERestarting)
		return ok && r.ByPeer == byPeer
	}))
}

// reconnected waits for p's ICEReconnected and returns how long the path
// was down.
func reconnected(p *peer) time.Duration {
	p.t.Helper()
	var down time.Duration
	eventually(p.t, p.name+" reconnecting", func() bool {
		evs := p.mediaEvents(func(ev media.Event) bool { _, ok := ev.(media.ICEReconnected); return ok })
		if len(evs) == 0 {
			return false
		}
		down = evs[len(evs)-1].(media.ICEReconnected).Down
		return true
	})
	return down
}

// TestPeerRejoinRestartsICE: a peer whose signaling connection dropped
// signs in again and rejoins the room, keeping its media session. The
// other side gets a fresh clientJoin and, as the protocol asks, makes a
// fresh offer: an ICE restart, even though its path still works.
func TestPeerRejoinRestartsICE(t *testing.T) {
	_, alice, bob := callOnLAN(t, manualICE)
	both := []*peer{alice, bob}
	flowing(t, both, 15)

	// Bob, who offered first, loses his connection and comes back.
	bob.client.Close()
	bob.signIn()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, err := bob.client.StartRTC(ctx, proto.CallTypeVideo); err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice restarting for the rejoined bob", func() bool {
		return len(alice.mediaEvents(func(ev media.Event) bool {
			r, ok := ev.(media.ICERestarting)
			return ok && !r.ByPeer && r.Reason == "peer rejoined"
		})) > 0
	})
	eventually(t, "bob accepting", func() bool { return restarts(bob, true) >= 1 })
	for _, p := range both {
		reconnected(p)
	}
	flowingAgain(t, both, frameCounts(both), 30)
}

// callOnLAN connects alice and bob over a virtual network the test can cut,
// restarting ICE as ice says.
func callOnLAN(t testing.TB, ice media.ICEConfig) (*lan, *peer, *peer) {
	t.Helper()
	r := newRig(t)
	l := newLAN(t)
	alice, bob := r.peer("alice"), r.peer("bob")
	connect(t, alice, bob, vnetConfig(l.a, ice), vnetConfig(l.b, ice))
	return l, alice, bob
}
