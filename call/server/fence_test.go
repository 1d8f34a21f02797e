package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call"
	"duet/call/internal/netfault"
	"duet/call/proto"
	"duet/call/server"
)

// TestClusterPartition: a node cut off from NATS closes its clients with
// 1012 and refuses new ones, its devices go offline on the other nodes,
// and once the link is back it takes clients again.
func TestClusterPartition(t *testing.T) {
	var fault *netfault.Proxy
	nodes := newCluster(t, 2, func(c *server.Config) {
		c.Cluster.NodeTTL = 600 * time.Millisecond
		if c.Cluster.Node != "n1" {
			return
		}
		p, err := netfault.New(strings.TrimPrefix(c.Cluster.URL, "nats://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		fault, c.Cluster.URL = p, "nats://"+p.Addr()
	})
	bob := nodes[1].dial("bob", "b1")
	if _, err := bob.Contacts(ctx(t)); err != nil {
		t.Fatal(err)
	}
	alice := nodes[0].dial("alice", "a1")
	wantPresence(t, bob, "alice", proto.PresenceOnline)

	fault.Set(netfault.Cut)
	d := expect[*call.Disconnected](t, alice)
	if code := websocket.CloseStatus(d.Err); code != proto.CloseServiceRestart {
		t.Fatalf("alice disconnected with %v (close code %d), want %d", d.Err, code, proto.CloseServiceRestart)
	}
	if c, err := tryDial(nodes[0], "alice", "a2"); err == nil {
		c.Close()
		t.Fatal("a fenced node took a client")
	}
	if got := scrape(t, nodes[0])["duet_cluster_fenced"]; got != 1 {
		t.Errorf("fenced node: duet_cluster_fenced = %v, want 1", got)
	}
	if code := healthz(t, nodes[0]); code != http.StatusServiceUnavailable {
		t.Errorf("fenced node: /healthz answers %d, want 503", code)
	}
	wantPresence(t, bob, "alice", proto.PresenceOffline)

	fault.Set(netfault.Pass)
	deadline := time.Now().Add(testTimeout)
	for {
		c, err := tryDial(nodes[0], "alice", "a1")
		if err == nil {
			t.Cleanup(func() { c.Close() })
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node never took clients again: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantPresence(t, bob, "alice", proto.PresenceOnline)
	if got := scrape(t, nodes[0])["duet_cluster_fenced"]; got != 0 {
		t.Errorf("node back on NATS: duet_cluster_fenced = %v, want 0", got)
	}
	if code := healthz(t, nodes[0]); code != http.StatusOK {
		t.Errorf("node back on NATS: /healthz answers %d, want 200", code)
	}
}

// healthz is the status of a node's health check.
func healthz(t *testing.T, e *env) int {
	t.Helper()
	res, err := http.Get("http://" + e.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// tryDial signs a device in on one node, reporting failure rather than
// failing the test.
func tryDial(e *env, account, device string) (*call.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	return call.Dial(ctx, call.Config{ServerURL: e.url, Account: account, Token: e.tokens[account], DeviceID: device,
		ClientType: proto.ClientDesktop})
}

// TestClusterPartitionMidCall: the owner of an answered call is cut off
// from NATS. Its party's device moves to another node, which takes the
// call over; the cut-off node leaves the call alone, and the call ends
// with the record its parties made.
func TestClusterPartitionMidCall(t *testing.T) {
	var fault *netfault.Proxy
	nodes := newCluster(t, 2, func(c *server.Config) {
		c.Cluster.NodeTTL = 600 * time.Millisecond
		c.ReconnectGrace = time.Second // long enough to resume, short enough to end the call if the cut-off node kept it
		if c.Cluster.Node != "n1" {
			return
		}
		p, err := netfault.New(strings.TrimPrefix(c.Cluster.URL, "nats://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		fault, c.Cluster.URL = p, "nats://"+p.Addr()
	})
	lb := startRRProxy(t, []string{nodes[0].addr, nodes[1].addr})
	alice := nodes[0].dial("alice", "a1", reconnecting, func(c *call.Config) { c.ServerURL = "ws://" + lb.addr() + "/ws" })
	bob := nodes[1].dial("bob", "b1")
	awaitOnline(t, alice, "bob")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	awaitOpenCall(t, nodes[1], cid, true)

	fault.Set(netfault.Cut)
	expect[*call.Reconnecting](t, alice)
	rc := expect[*call.Reconnected](t, alice)
	if rc.ActiveCall == nil || rc.ActiveCall.CID != cid {
		t.Fatalf("alice reconnected with active call %+v, want %s", rc.ActiveCall, cid)
	}
	if got := scrape(t, nodes[1])["duet_cluster_takeovers_total"]; got != 1 {
		t.Errorf("the node alice moved to: duet_cluster_takeovers_total = %v, want 1", got)
	}
	expectQuiet(t, bob, 1500*time.Millisecond) // past the cut-off node's grace
	fault.Set(netfault.Pass)
	relayReaches(t, alice, bob)
	hangupReaches(t, bob, alice)
	r := waitRecord(t, alice, cid)
	wantEqual(t, "pushed record", [2]any{r.Status, r.EndedBy}, [2]any{proto.StatusCompleted, "bob"})
	page, err := bob.History(ctx(t), 0, 1) // what the database kept: the first record written
	if err != nil || len(page.Records) != 1 || page.Records[0].CID != cid {
		t.Fatalf("history: %+v, %v", page, err)
	}
	wantEqual(t, "record", [2]any{page.Records[0].Status, page.Records[0].EndedBy}, [2]any{proto.StatusCompleted, "bob"})
}

// TestClusterNATSOutageKeepsCalls: NATS stops for every node, so every
// node fences itself and nobody can take a call over. When NATS is back
// the owner takes its call back, and the parties resume it.
func TestClusterNATSOutageKeepsCalls(t *testing.T) {
	nodes, nats := newClusterNATS(t, 2, func(c *server.Config) {
		c.Cluster.NodeTTL = 600 * time.Millisecond
		c.ReconnectGrace = 5 * time.Second
	})
	lb := startRRProxy(t, []string{nodes[0].addr, nodes[1].addr})
	viaLB := func(c *call.Config) { c.ServerURL = "ws://" + lb.addr() + "/ws" }
	alice := nodes[0].dial("alice", "a1", reconnecting, viaLB)
	bob := nodes[0].dial("bob", "b1", reconnecting, viaLB)
	awaitOnline(t, alice, "bob")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	awaitOpenCall(t, nodes[0], cid, true)

	nats.Shutdown()
	for _, c := range []*call.Client{alice, bob} {
		expect[*call.Reconnecting](t, c)
	}
	time.Sleep(time.Second) // the outage outlasts the TTL: every node suspends its calls
	nats.Restart()
	for _, c := range []*call.Client{alice, bob} {
		rc := expect[*call.Reconnected](t, c)
		if rc.ActiveCall == nil || rc.ActiveCall.CID != cid {
			t.Fatalf("%s reconnected with active call %+v, want %s", c.Account(), rc.ActiveCall, cid)
		}
	}
	relayReaches(t, bob, alice)
	hangupReaches(t, alice, bob)
	r := waitRecord(t, bob, cid)
	wantEqual(t, "record", [2]any{r.Status, r.EndedBy}, [2]any{proto.StatusCompleted, "alice"})
}
