package server_test

import (
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
)

// TestClusterCallLimitIsPerAccount: the calls an account places through
// one node count on the others: with two calls an hour allowed, two placed
// through n1 leave none for its device on n2.
func TestClusterCallLimitIsPerAccount(t *testing.T) {
	nodes := newCluster(t, 2, func(c *server.Config) { c.Limits.Calls = server.Rate{Burst: 2, Every: time.Hour} })
	onN1, onN2 := nodes[0].dial("alice", "a1"), nodes[1].dial("alice", "a2")
	for range 2 {
		_, err := onN1.Call(ctx(t), "nobody", proto.CallTypeAudio, call.CallOptions{})
		wantCode(t, err, proto.CodeUnknownAccount) // placed, and counted, before the callee is looked up
	}
	deadline := time.Now().Add(testTimeout)
	for server.CallsLeft(nodes[1].srv, "alice") >= 1 {
		if time.Now().After(deadline) {
			t.Fatalf("n2 still lets alice place %.1f calls", server.CallsLeft(nodes[1].srv, "alice"))
		}
		time.Sleep(2 * time.Millisecond)
	}
	_, err := onN2.Call(ctx(t), "nobody", proto.CallTypeAudio, call.CallOptions{})
	wantCode(t, err, proto.CodeRateLimited)
}
