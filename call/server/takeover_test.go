package server_test

import (
	"strings"
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// killableCluster is two nodes in this process and a third, n3, in a
// child process that a test kills, as a machine failing would.
func killableCluster(t *testing.T) (nodes []*env, n3 *serverProcess) {
	t.Helper()
	nodes = newCluster(t, 2, func(c *server.Config) { c.Cluster.NodeTTL = clusterProcessTTL })
	n3 = startClusterProcess(t, nodes[0].cfg.DB, nodes[0].cfg.Cluster.URL, "n3")
	return nodes, n3
}

// dialProcess signs account in on a server process.
func dialProcess(t *testing.T, p *serverProcess, e *env, account, device string, mutate ...func(*call.Config)) *call.Client {
	t.Helper()
	saved := e.url
	e.url = p.url
	defer func() { e.url = saved }()
	return e.dial(account, device, mutate...)
}

// awaitOpenCall waits until cid is in the database as an open call: what
// a node keeps of it for whoever takes it over.
func awaitOpenCall(t *testing.T, e *env, cid string, inRoom bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !server.HasOpenCall(e.srv, cid, inRoom) {
		if time.Now().After(deadline) {
			t.Fatalf("call %s never reached the database", cid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClusterNodeKilledMidRing: the node that owns a ringing call dies; a
// survivor takes the call over, stops the callee's devices ringing on the
// other nodes and writes the record, once.
func TestClusterNodeKilledMidRing(t *testing.T) {
	nodes, n3 := killableCluster(t)
	bob1, bob2 := nodes[0].dial("bob", "b1"), nodes[1].dial("bob", "b2")
	alice := dialProcess(t, n3, nodes[0], "alice", "a1")
	awaitOnline(t, alice, "bob") // n3 knows bob: the call rings
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob1, bob2)
	awaitOpenCall(t, nodes[0], cid, false)

	n3.cmd.Process.Kill()
	for _, b := range []*call.Client{bob1, bob2} {
		hu := expect[*proto.HangupEvent](t, b)
		wantEqual(t, "hangup", [2]any{hu.CID, hu.Reason}, [2]any{cid, proto.ReasonNetworkLost})
		r := waitRecord(t, b, cid)
		wantEqual(t, "record", r.Status, proto.StatusNetworkLost)
	}
	expectQuiet(t, bob1, 100*time.Millisecond) // one node took it over: one hangup, one record

	// bob is free again: a call from a survivor rings.
	carol := nodes[1].dial("carol", "c1")
	placeCall(t, carol, "bob", proto.CallTypeVideo, bob1, bob2)
}

// awaitOnline polls c's contacts until account is online there.
func awaitOnline(t *testing.T, c *call.Client, account string) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		contacts, err := c.Contacts(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, ct := range contacts {
			if ct.Account == account && ct.Presence != proto.PresenceOffline {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never saw %s online", c.Account(), account)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClusterNodeKilledMidCall: the node that owns an answered call, and
// holds one party's device, dies. The device reconnects through the load
// balancer to another node, which takes the call over and hands it back:
// the call goes on, and ends with one record.
func TestClusterNodeKilledMidCall(t *testing.T) {
	nodes, n3 := killableCluster(t)
	lb := startRRProxy(t, []string{strings.TrimSuffix(strings.TrimPrefix(n3.url, "ws://"), "/ws"), nodes[0].addr, nodes[1].addr})
	bob := nodes[0].dial("bob", "b1")
	alice := dialProcess(t, n3, nodes[0], "alice", "a1", reconnecting, func(c *call.Config) { c.ServerURL = "ws://" + lb.addr() + "/ws" })
	awaitOnline(t, alice, "bob")
	cid := placeCall(t, alice, "bob", proto.CallTypeVideo, bob)
	connect(t, alice, bob, cid)
	awaitOpenCall(t, nodes[0], cid, true)

	n3.cmd.Process.Kill()
	expect[*call.Reconnecting](t, alice)
	rc := expect[*call.Reconnected](t, alice)
	if rc.ActiveCall == nil || rc.ActiveCall.CID != cid || !rc.ActiveCall.Answered {
		t.Fatalf("alice reconnected with active call %+v, want %s", rc.ActiveCall, cid)
	}
	if err := alice.Relay(ctx(t), "media", map[string]bool{"video": true}); err != nil {
		t.Fatalf("relay after the owner died: %v", err)
	}
	expect[*proto.RelayEvent](t, bob)
	relayReaches(t, bob, alice)
	hangupReaches(t, alice, bob)
	r := waitRecord(t, bob, cid)
	wantEqual(t, "record", [2]any{r.Status, r.EndedBy}, [2]any{proto.StatusCompleted, "alice"})
}

// TestClusterResumedDeviceHearsTheEnd: a party's device comes back on a
// third node and its peer hangs up at once. The owner hears of the device
// from its resume, before the devices bucket says where it signed in, so
// the end and the record reach it there.
func TestClusterResumedDeviceHearsTheEnd(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	alice := nodes[0].dial("alice", "a1")
	bob := nodes[1].dial("bob", "b1")
	awaitOnline(t, alice, "bob")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	awaitOpenCall(t, nodes[0], cid, true)
	bob.Close()
	bob = nodes[2].dial("bob", "b1")
	hangupReaches(t, alice, bob)
	r := waitRecord(t, bob, cid)
	wantEqual(t, "record", [2]any{r.Status, r.EndedBy}, [2]any{proto.StatusCompleted, "alice"})
}
