package server

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/pion/stun/v4"

	"duet/call/leaktest"
	"duet/internal/natstest"
)

// turnCluster starts two nodes with TURN servers of their own, a quota of
// two relays per account, and ttl as their NATS keys' lifetime.
func turnCluster(t *testing.T, ttl time.Duration) []*turnEnv {
	t.Helper()
	leaktest.Check(t)
	nats := natstest.Start(t)
	db := NewTestDB(t)
	var nodes []*turnEnv
	half := (testRelayMax - testRelayMin) / 2 // two relays on one host: ports of their own
	for i, first := range []int{testRelayMin, testRelayMin + half + 1} {
		tc := &TURNConfig{Addr: "127.0.0.1:0", PublicIP: net.IPv4(127, 0, 0, 1),
			RelayMinPort: uint16(first), RelayMaxPort: uint16(first + half - 1), MaxAllocationsPerAccount: 2}
		nodes = append(nodes, startTURNEnv(t, Config{DB: db, Open: true, TURN: tc,
			Cluster: &ClusterConfig{URL: nats.URL(), Node: fmt.Sprintf("n%d", i+1), NodeTTL: ttl}}))
	}
	return nodes
}

// TestClusterTURNQuotaIsPerAccount: the relays an account holds on one
// node's TURN server count on the others: with a quota of two, two held
// through n1 leave none on n2 until one is given back.
func TestClusterTURNQuotaIsPerAccount(t *testing.T) {
	// A heartbeat tells every count again; not within this test.
	nodes := turnCluster(t, time.Hour)
	_, onN1 := nodes[0].signInAs("alice", "a1")
	_, onN2 := nodes[1].signInAs("alice", "a2")
	var held []*allocation
	for range 2 {
		a, err := allocate(t, turnAddr(t, onN1, "udp"), "udp", onN1.Username, onN1.Credential)
		if err != nil {
			t.Fatalf("alice's relay on n1: %v", err)
		}
		held = append(held, a)
	}
	n2 := nodes[1].srv.turn.quota
	waitFor(t, "n2 to hear of alice's relays on n1", func() bool { return !n2.allows(onN2.Username) })
	_, err := allocate(t, turnAddr(t, onN2, "udp"), "udp", onN2.Username, onN2.Credential)
	var te *stun.TurnError
	if !errors.As(err, &te) || te.ErrorCodeAttr.Code != stun.CodeAllocQuotaReached {
		t.Fatalf("alice's third relay, on n2: got %v, want 486 Allocation Quota Reached", err)
	}
	held[0].close()
	waitFor(t, "n2 to hear of the relay given back", func() bool { return n2.allows(onN2.Username) })
	if _, err := allocate(t, turnAddr(t, onN2, "udp"), "udp", onN2.Username, onN2.Credential); err != nil {
		t.Fatalf("alice's relay on n2 after giving one back on n1: %v", err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(turnTestTimeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", turnTestTimeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestClusterTURNCountsHeal: counts a node missed (news lost while NATS
// was away) reach it with the next heartbeat, which tells them all.
func TestClusterTURNCountsHeal(t *testing.T) {
	nodes := turnCluster(t, 1500*time.Millisecond) // a heartbeat every 500 ms
	q := nodes[0].srv.turn.quota
	q.mu.Lock()
	tell := q.tell
	q.tell = nil // the news of the next relays is lost
	q.mu.Unlock()
	_, onN1 := nodes[0].signInAs("alice", "a1")
	_, onN2 := nodes[1].signInAs("alice", "a2")
	for range 2 {
		if _, err := allocate(t, turnAddr(t, onN1, "udp"), "udp", onN1.Username, onN1.Credential); err != nil {
			t.Fatalf("alice's relay on n1: %v", err)
		}
	}
	q.mu.Lock()
	q.tell = tell
	q.mu.Unlock()
	n2 := nodes[1].srv.turn.quota
	waitFor(t, "n2 to hear of alice's relays on n1 from a heartbeat", func() bool { return !n2.allows(onN2.Username) })
}
