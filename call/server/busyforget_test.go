package server_test

import (
	"testing"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// TestClusterForgetsNamesThatDoNotExist: a call to a name nobody has
// leaves, of that name's busy key, only a marker that expires, and no
// node keeps the key in its mirror; calling the name again meets the
// marker and fails the same way.
func TestClusterForgetsNamesThatDoNotExist(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	alice := nodes[0].dial("alice", "a1")
	for range 2 {
		_, err := alice.Call(ctx(t), "nobody", proto.CallTypeAudio, call.CallOptions{})
		wantCode(t, err, proto.CodeUnknownAccount)
		for _, n := range nodes {
			eventually(t, "the nodes forget nobody's key", func() bool { return !server.BusyKeyKnown(n.srv, "nobody") })
		}
	}
	n, ttl, err := server.BusyKeyMessages(nodes[0].srv, "nobody")
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || ttl == "" {
		t.Errorf("the bucket holds %d messages for nobody, the last with TTL %q; want one marker that expires", n, ttl)
	}
}
