package server_test

import (
	"fmt"
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
	"duet/internal/natstest"
)

// newCluster starts n servers joined through one NATS, sharing one
// database and the accounts of the first.
func newCluster(t *testing.T, n int, mutate func(*server.Config)) []*env {
	t.Helper()
	nodes, _ := newClusterNATS(t, n, mutate)
	return nodes
}

// newClusterNATS is newCluster that also returns the cluster's NATS.
func newClusterNATS(t *testing.T, n int, mutate func(*server.Config)) ([]*env, *natstest.Server) {
	t.Helper()
	nats := natstest.Start(t)
	return newClusterOn(t, nats.URL(), nats.Shutdown, n, mutate), nats
}

// newClusterOn starts n servers joined through the NATS at url;
// stopNATS stops it once they have left.
func newClusterOn(t *testing.T, url string, stopNATS func(), n int, mutate func(*server.Config)) []*env {
	t.Helper()
	join := func(node string) func(*server.Config) {
		return func(c *server.Config) {
			c.Cluster = &server.ClusterConfig{URL: url, Node: node}
			if c.Logger != nil {
				c.Logger = c.Logger.With("node", node)
			}
			if mutate != nil {
				mutate(c)
			}
		}
	}
	first := newEnv(t, join("n1"))
	nodes := []*env{first}
	for i := 2; i <= n; i++ {
		cfg := first.cfg
		cfg.Logger = first.logs.logger()
		join(fmt.Sprintf("n%d", i))(&cfg)
		e := &env{t: t, cfg: cfg, tokens: first.tokens, logs: first.logs}
		e.start("127.0.0.1:0")
		t.Cleanup(e.stop)
		nodes = append(nodes, e)
	}
	// Before the leak checks: the nodes leave, then NATS stops.
	t.Cleanup(func() {
		for _, e := range nodes {
			e.stop()
		}
		stopNATS()
	})
	return nodes
}

// aliceSeesBob signs alice in on one node, watching her contacts, and bob
// on another, and returns once alice's node knows bob's device.
func aliceSeesBob(t *testing.T, aliceOn, bobOn *env) (alice, bob *call.Client) {
	t.Helper()
	alice = aliceOn.dial("alice", "a1")
	if _, err := alice.Contacts(ctx(t)); err != nil {
		t.Fatal(err)
	}
	bob = bobOn.dial("bob", "b1")
	wantPresence(t, alice, "bob", proto.PresenceOnline)
	return alice, bob
}

// TestClusterPresence: a device signed in on one node is online to a
// contact watching on another, and offline once it leaves.
func TestClusterPresence(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	bob := nodes[1].dial("bob", "b1")
	if _, err := bob.Contacts(ctx(t)); err != nil {
		t.Fatal(err)
	}
	alice := nodes[0].dial("alice", "a1")
	wantPresence(t, bob, "alice", proto.PresenceOnline)
	res, err := bob.Contacts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res {
		if c.Account == "alice" && c.Presence != proto.PresenceOnline {
			t.Fatalf("contacts on n2 say alice (signed in on n1) is %v", c.Presence)
		}
	}
	alice.Close()
	wantPresence(t, bob, "alice", proto.PresenceOffline)
}

// TestClusterForgetsALostNode: the devices of a node that falls silent
// (killed, or cut off from NATS) go offline for the others once its key
// expires.
func TestClusterForgetsALostNode(t *testing.T) {
	nodes := newCluster(t, 2, func(c *server.Config) { c.Cluster.NodeTTL = 600 * time.Millisecond })
	bob := nodes[1].dial("bob", "b1")
	if _, err := bob.Contacts(ctx(t)); err != nil {
		t.Fatal(err)
	}
	nodes[0].dial("alice", "a1")
	wantPresence(t, bob, "alice", proto.PresenceOnline)
	server.CutCluster(nodes[0].srv)
	wantPresence(t, bob, "alice", proto.PresenceOffline)
}

// TestClusterCallReadsNoAccount: a call to a device signed in on another
// node reads nothing from the database before it rings: the caller's node
// learnt that the account exists when the device signed in.
func TestClusterCallReadsNoAccount(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	alice, bob := aliceSeesBob(t, nodes[0], nodes[1])
	const reads = "duet_db_seconds/select/count"
	before := scrape(t, nodes[0])[reads]
	placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	if after := scrape(t, nodes[0])[reads]; after != before {
		t.Errorf("n1 read the database %v times to place the call, want none", after-before)
	}
}
