package server_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// newClusterEnv is an envMaker for the flows of flow_test.go: three nodes
// behind a round-robin proxy, so the clients a flow dials one after another
// (caller, then callee devices) sign in on different nodes.
func newClusterEnv(t *testing.T, mutate func(*server.Config)) *env {
	t.Helper()
	nodes := newCluster(t, 3, mutate)
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.addr)
	}
	p := startRRProxy(t, addrs)
	e := &env{t: t, cfg: nodes[0].cfg, tokens: nodes[0].tokens, addr: p.addr(), url: "ws://" + p.addr() + "/ws",
		nodes: nodes, signedIn: map[string]string{}}
	t.Cleanup(func() {
		// The flows dial the caller first and the callee next: they must
		// have met on different nodes.
		if len(e.order) >= 2 && e.signedIn[e.order[0]] == e.signedIn[e.order[1]] {
			t.Errorf("%s and %s both signed in on %s", e.order[0], e.order[1], e.signedIn[e.order[0]])
		}
	})
	return e
}

// awaitDevice waits until every node knows a device that just signed in
// (a sign-in reaches the other nodes through the devices bucket, a few
// milliseconds later), and returns its node.
func (e *env) awaitDevice(account, device string) string {
	e.t.Helper()
	deadline := time.Now().Add(testTimeout)
	var at string
	for _, n := range e.nodes {
		for at = server.DeviceNode(n.srv, account, device); at == ""; at = server.DeviceNode(n.srv, account, device) {
			if time.Now().After(deadline) {
				e.t.Fatalf("%s/%s never reached node %s", account, device, n.cfg.Cluster.Node)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	return at
}

// clusterRecord reads cid's record through a fresh client of account on
// whichever node the proxy picks. The record is written by the call's
// owner, maybe another node, and may still be on its way to the database.
func (e *env) clusterRecord(account, cid string) proto.CallRecord {
	e.t.Helper()
	c := e.dial(account, "history-reader")
	defer c.Close()
	deadline := time.Now().Add(testTimeout)
	for {
		page, err := c.History(ctx(e.t), 0, 50)
		if err != nil {
			e.t.Fatalf("history: %v", err)
		}
		for _, r := range page.Records {
			if r.CID == cid {
				return r
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no record of call %s in %s's history", cid, account)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestClusterFlows runs the conformance flows with the caller and the
// callee's devices on different nodes of a cluster.
func TestClusterFlows(t *testing.T) {
	for _, f := range []struct {
		name string
		run  func(*testing.T, envMaker)
	}{
		{"AcceptRelayHangup", testAcceptRelayHangup},
		{"HangupByCallee", testHangupByCallee},
		{"Reject", testReject},
		{"RejectAsBusy", testRejectAsBusy},
		{"CancelBeforeAnswer", testCancelBeforeAnswer},
		{"NoAnswerTimeout", testNoAnswerTimeout},
		{"ServerRingLimit", testServerRingLimit},
		{"Busy", testBusy},
		{"CalleeOffline", testCalleeOffline},
		{"ForceKeepCallingDeliversOnSignIn", testForceKeepCallingDeliversOnSignIn},
		{"ForceKeepCallingTimesOut", testForceKeepCallingTimesOut},
		{"SimultaneousAcceptOneWins", testSimultaneousAcceptOneWins},
		{"RingingCallerDisconnectCancels", testRingingCallerDisconnectCancels},
		{"AnsweredCallSurvivesReconnect", testAnsweredCallSurvivesReconnect},
		{"AnsweredCallEndsWhenPeerStaysAway", testAnsweredCallEndsWhenPeerStaysAway},
		{"PresenceAndContacts", testPresenceAndContacts},
		{"HistoryIsPagedAndPrivate", testHistoryIsPagedAndPrivate},
	} {
		t.Run(f.name, func(t *testing.T) { f.run(t, newClusterEnv) })
	}
}

// TestClusterNodeStartLeavesOthersCalls: a node that starts again on the
// shared database resumes its own open calls only, not the live calls of
// the others.
func TestClusterNodeStartLeavesOthersCalls(t *testing.T) {
	e := newClusterEnv(t, func(c *server.Config) { c.ReconnectGrace = 200 * time.Millisecond })
	alice, bob := e.dial("alice", "a1"), e.dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	e.nodes[2].restart()
	expectQuiet(t, alice, 500*time.Millisecond) // more than the grace a restored copy would wait
	relayReaches(t, bob, alice)
	hangupReaches(t, alice, bob)
	r := e.recordAfterRestart("bob", cid)
	wantEqual(t, "record", [2]any{r.Status, r.EndedBy}, [2]any{proto.StatusCompleted, "alice"})
}

// TestClusterBusyRace: two callers on different nodes call one account at
// once: one call rings, the other is busy, round after round. Both calls
// ring early (clustergate.go); the callee's node drops the ring of the one
// that lost the key, so the callee sees one ring only.
func TestClusterBusyRace(t *testing.T) {
	// Ten calls to bob, busy ones too, pass his ring limit, which holds
	// across the nodes: the race is under test here, not the limit.
	e := newClusterEnv(t, func(c *server.Config) { c.Limits.Rings = server.Rate{Every: -1} })
	carol, dave, bob := e.dial("carol", "c1"), e.dial("dave", "d1"), e.dial("bob", "b1")
	callers := map[string]*call.Client{"carol": carol, "dave": dave}
	for round := range 5 {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, c := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := c.Call(ctx(t), "bob", proto.CallTypeAudio, call.CallOptions{}); err != nil {
					t.Errorf("%s: call: %v", c.Account(), err)
				}
			}()
		}
		close(start)
		wg.Wait()
		bc := expect[*proto.BeCalling](t, bob)
		winner := callers[bc.Caller]
		for name, c := range callers {
			if c != winner {
				rej := expect[*proto.CallRejected](t, c)
				wantEqual(t, fmt.Sprintf("round %d: %s's call", round, name), rej.Reason, proto.ReasonBusy)
			}
		}
		expectQuiet(t, bob, 50*time.Millisecond) // one rings, once
		if err := winner.Hangup(ctx(t)); err != nil {
			t.Fatal(err)
		}
		expect[*proto.HangupEvent](t, bob)
	}
}
