package phone_test

import (
	"context"
	"testing"
	"time"

	"duet/call/media"
	"duet/call/phone"
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
		ender, other := alice, bob
		if i%2 == 1 {
			ender, other = bob, alice
		}
		if err := ender.Hangup(context.Background()); err != nil {
			t.Fatal(err)
		}
		expect[*phone.MediaEnded](t, ender)
		expect[*phone.MediaEnded](t, other)
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
