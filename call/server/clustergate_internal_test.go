package server

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"
)

// gateNode is a cluster node with one device signed in, as far as its
// gates need: what reaches the device is in out.
func gateNode(t *testing.T) (*cluster, deviceKey, chan []byte) {
	t.Helper()
	srv := &Server{}
	srv.metrics = newMetrics(srv)
	k := deviceKey{"bob", "bob-phone"}
	out := make(chan []byte, 16)
	sess := &session{srv: srv, account: k.account, deviceID: k.deviceID, out: out, ctx: context.Background()}
	c := &cluster{log: slog.New(slog.DiscardHandler), metrics: newClusterMetrics(), revs: map[string]busyRev{},
		local: map[deviceKey]*session{k: sess}, gates: map[deviceKey]*gateLine{}, lost: map[deviceKey][]lostRing{},
		arrivals: map[deviceKey]*arrival{}, pending: map[deviceKey]*deviceEntry{}, wake: make(chan struct{}, 1)}
	t.Cleanup(c.stopGates)
	return c, k, out
}

func received(out chan []byte) []string {
	var got []string
	for {
		select {
		case b := <-out:
			got = append(got, string(b))
		default:
			return got
		}
	}
}

func expectReceived(t *testing.T, out chan []byte, when string, want ...string) {
	t.Helper()
	if got := received(out); !slices.Equal(got, want) {
		t.Errorf("%s: the device got %q, want %q", when, got, want)
	}
}

// TestEarlyRingWaitsForItsKeys: a ring, and what follows it, reach the
// device once the watch shows both keys written for its call, in order;
// a ring whose call lost a key is dropped and what follows goes on.
func TestEarlyRingWaitsForItsKeys(t *testing.T) {
	c, k, out := gateNode(t)
	gate := ringGate{cid: "call1", keys: [2]gateKey{{"alice", 7}, {"bob", 3}}}

	c.toDevice(k, []byte("ring"), gate.header(), "")
	c.toDevice(k, []byte("hangup"), "", "")
	expectReceived(t, out, "before the keys")
	c.sawRev("alice", 7, busyEntry{}) // the revision the write expected: old news
	c.sawRev("alice", 8, busyEntry{CID: "call1"})
	expectReceived(t, out, "with the caller's key alone")
	c.sawRev("bob", 4, busyEntry{CID: "call1"})
	expectReceived(t, out, "with both keys", "ring", "hangup")
	c.toDevice(k, []byte("after"), "", "")
	expectReceived(t, out, "with nothing held", "after")

	lost := ringGate{cid: "call2", keys: [2]gateKey{{"alice", 9}, {"bob", 4}}}
	c.toDevice(k, []byte("ring2"), lost.header(), "")
	c.toDevice(k, []byte("next"), "", "")
	c.sawRev("bob", 5, busyEntry{CID: "call3"})
	expectReceived(t, out, "the callee's key taken by another call", "next")
	c.toDevice(k, []byte("ring2"), "", "call2")
	expectReceived(t, out, "a ring dropped as lost, confirmed by its owner (the watch had missed the key's history)", "ring2")
	c.toDevice(k, []byte("ring2"), "", "call2")
	expectReceived(t, out, "confirmed again")

	confirmed := ringGate{cid: "call4", keys: [2]gateKey{{"alice", 20}, {"bob", 20}}}
	c.toDevice(k, []byte("ring4"), confirmed.header(), "")
	c.toDevice(k, []byte("ring4"), "", "call4")
	expectReceived(t, out, "confirmed by the owner before the watch told", "ring4")
	c.toDevice(k, []byte("ring4"), "", "call4")
	expectReceived(t, out, "confirmed once let through")

	late := ringGate{cid: "call5", keys: [2]gateKey{{"alice", 30}, {"bob", 30}}}
	c.toDevice(k, []byte("ring5"), late.header(), "")
	c.toDevice(k, []byte("hangup5"), "", "")
	c.gateMu.Lock()
	line := c.gates[k]
	line.held[0].deadline = time.Now()
	c.advanceLocked(k, line)
	c.gateMu.Unlock()
	expectReceived(t, out, "neither seen nor confirmed in time", "hangup5")
	c.gateMu.Lock()
	defer c.gateMu.Unlock()
	if len(c.gates) != 0 {
		t.Errorf("%d devices still hold messages", len(c.gates))
	}
}

func TestGateHeader(t *testing.T) {
	g := ringGate{cid: "5bc217e6d78079b5771870c4", keys: [2]gateKey{{"YWxpY2U", 12}, {"Ym9i", 0}}}
	back, ok := parseGate(g.header())
	if !ok || back != g {
		t.Errorf("parseGate(%q) = %+v, %t", g.header(), back, ok)
	}
	for _, bad := range []string{"", "cid", "cid a 1 b", "cid a 1 b x", "cid a -1 b 2", "cid a 1 b 2 c 3"} {
		if _, ok := parseGate(bad); ok {
			t.Errorf("parseGate(%q) took it", bad)
		}
	}
}

// The gate header comes from other nodes: whatever it holds, reading it
// neither fails nor makes a gate that writes back differently.
func FuzzParseGate(f *testing.F) {
	f.Add("5bc217e6d78079b5771870c4 YWxpY2U 12 Ym9i 0")
	f.Add("a b 18446744073709551615 c 1")
	f.Fuzz(func(t *testing.T, s string) {
		g, ok := parseGate(s)
		if !ok {
			return
		}
		if again, ok := parseGate(g.header()); !ok || again != g {
			t.Errorf("%q read as %+v, written as %q, read back as %+v", s, g, g.header(), again)
		}
	})
}
