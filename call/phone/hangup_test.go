package phone_test

import (
	"testing"
	"time"

	"duet/call/media"
	"duet/call/proto"
)

// TestHangupRightAfterConnect: ending a call the moment its media connects,
// while the encoders are just being bound to the peer connection, must not
// hang the teardown.
func TestHangupRightAfterConnect(t *testing.T) {
	r := newRig(t)
	alice, bob := r.phone("alice", 440), r.phone("bob", 660)
	for i := range 5 {
		_, sa, _ := connectCall(t, alice, bob, proto.CallTypeVideo)
		waitConnected(t, sa)
		hangupAlternating(t, i, alice, bob)
	}
}

func waitConnected(t *testing.T, s *media.Session) {
	t.Helper()
	deadline := time.After(testTimeout)
	for {
		select {
		case ev := <-s.Events():
			if c, ok := ev.(media.ConnectionChanged); ok && c.State.String() == "connected" {
				return
			}
		case <-deadline:
			t.Fatal("never connected")
		}
	}
}
