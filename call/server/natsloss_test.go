package server_test

import (
	"context"
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
	"duet/internal/natstest"
)

// TestClusterSurvivesANATSServerLoss: on three NATS servers with buckets
// of three replicas, losing the server that the call's owner is connected
// to ends nothing: the owner moves to another server, the answered call
// goes on and ends with one record each side, presence still flows, and
// the next call rings.
func TestClusterSurvivesANATSServerLoss(t *testing.T) {
	nats := natstest.StartCluster(t, 3)
	nodes := newClusterOn(t, nats.URL(), nats.Shutdown, 2, func(c *server.Config) { c.Cluster.Replicas = 3 })
	alice, bob := aliceSeesBob(t, nodes[0], nodes[1])
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)

	lost := server.ClusterNATS(nodes[0].srv)
	nats.Serving(lost).Shutdown()
	// What nodes send one another while a node moves to another server,
	// and until every server has heard of its subscriptions, is lost
	// (docs/cluster.md, failure modes): the test waits for that moment to pass.
	deadline := time.Now().Add(testTimeout)
	for now := server.ClusterNATS(nodes[0].srv); now == "" || now == lost; now = server.ClusterNATS(nodes[0].srv) {
		if time.Now().After(deadline) {
			t.Fatalf("n1 did not move from the lost NATS server %s within %v", lost, testTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, node := range []string{"n1", "n2"} {
		nats.AwaitInterest("duet.node."+node+".dev", "duet.node."+node+".req")
	}

	relayThrough(t, bob, alice)
	relayThrough(t, alice, bob)
	hangupReaches(t, bob, alice)
	for _, c := range []*call.Client{alice, bob} {
		if r := waitRecord(t, c, cid); r.Status != proto.StatusCompleted || r.EndedBy != "bob" {
			t.Errorf("%s: record %v ended by %q, want completed by bob", c.Account(), r.Status, r.EndedBy)
		}
	}
	// Presence goes through the buckets, whose watches start again once
	// the buckets have elected leaders in place of the lost server's.
	carol := nodes[1].dial("carol", "c1")
	wantPresenceWithin(t, alice, "carol", proto.PresenceOnline, 2*testTimeout)
	cid2 := placeCall(t, bob, "alice", proto.CallTypeAudio, alice)
	connect(t, bob, alice, cid2)
	hangupReaches(t, alice, bob)
	waitRecord(t, bob, cid2)
	carol.Close()
}

// relayThrough relays from one party to the other, trying again while the
// relay gets no answer: one sent in the moment a node moves to another
// NATS server may be lost, and a client asks again.
func relayThrough(t *testing.T, from, to *call.Client) {
	t.Helper()
	start := time.Now()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(ctx(t), time.Second)
		err := from.Relay(ctx, "media", map[string]bool{"audio": true})
		cancel()
		if err == nil {
			break
		}
		if time.Since(start) > testTimeout {
			t.Fatalf("%s relays: %v, %d times in %v", from.Account(), err, attempt, time.Since(start))
		}
	}
	expect[*proto.RelayEvent](t, to)
}
