package server_test

import (
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// TestClusterInCallPresence: a contact watching on another node than the
// call's sees both parties in a call once it is answered, and online again
// once it ends; a ringing call is not "in a call".
func TestClusterInCallPresence(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	carol := nodes[1].dial("carol", "c1")
	if _, err := carol.Contacts(ctx(t)); err != nil {
		t.Fatal(err)
	}
	alice, bob := nodes[0].dial("alice", "a1"), nodes[0].dial("bob", "b1")
	wantPresence(t, carol, "alice", proto.PresenceOnline)
	wantPresence(t, carol, "bob", proto.PresenceOnline)
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	wantContact(t, carol, "bob", proto.PresenceOnline)
	connect(t, alice, bob, cid)
	wantPresence(t, carol, "alice", proto.PresenceInCall)
	wantPresence(t, carol, "bob", proto.PresenceInCall)
	alice.Hangup(ctx(t))
	wantPresence(t, carol, "alice", proto.PresenceOnline)
	wantPresence(t, carol, "bob", proto.PresenceOnline)
}

// TestClusterInCallHeardAgain: a node that missed the news of a call in
// progress (it started since, or NATS was away) learns of it with the
// owner's next heartbeat.
func TestClusterInCallHeardAgain(t *testing.T) {
	nodes := newCluster(t, 2, func(c *server.Config) {
		c.Cluster.NodeTTL = 900 * time.Millisecond // a heartbeat every 300 ms
		c.Limits.Off = true                        // carol asks for her contacts until she sees it
	})
	carol := nodes[1].dial("carol", "c1")
	alice, bob := nodes[0].dial("alice", "a1"), nodes[0].dial("bob", "b1")
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, bob)
	connect(t, alice, bob, cid)
	bobInCall := func() bool { return contactPresence(t, carol, "bob") == proto.PresenceInCall }
	eventually(t, "carol's node shows bob in a call", bobInCall)
	// Without being told again, bob would show online until the call ends.
	server.ForgetCallsInProgress(nodes[1].srv)
	eventually(t, "the owner's heartbeat tells carol's node of the call again", bobInCall)
}

// contactPresence is account's presence as c's contacts list has it now.
func contactPresence(t *testing.T, c *call.Client, account string) proto.Presence {
	t.Helper()
	res, err := c.Contacts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range res {
		if ct.Account == account {
			return ct.Presence
		}
	}
	t.Fatalf("%s not in the contacts", account)
	return proto.PresenceOffline
}

func wantContact(t *testing.T, c *call.Client, account string, want proto.Presence) {
	t.Helper()
	if got := contactPresence(t, c, account); got != want {
		t.Errorf("%s shows %v, want %v", account, got, want)
	}
}
