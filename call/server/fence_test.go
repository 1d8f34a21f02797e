package server_test

import (
	"context"
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
}

// tryDial signs a device in on one node, reporting failure rather than
// failing the test.
func tryDial(e *env, account, device string) (*call.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	return call.Dial(ctx, call.Config{ServerURL: e.url, Account: account, Token: e.tokens[account], DeviceID: device,
		ClientType: proto.ClientDesktop})
}
