package phone_test

import (
	"context"
	"sync/atomic"
	"testing"

	"duet/call/phone"
	"duet/call/proto"
)

// LoopbackOnlyFunc is asked at the start of every call, so a signed-in
// phone follows a change of ICE policy from its next call on.
func TestLoopbackOnlyFuncAskedPerCall(t *testing.T) {
	r := newRig(t)
	var asked atomic.Int32
	alice := r.phone("alice", 440, func(c *phone.Config) {
		c.LoopbackOnly = false // overridden by the func
		c.LoopbackOnlyFunc = func() bool { asked.Add(1); return true }
	})
	bob := r.phone("bob", 660)
	for i := range 2 {
		_, sa, _ := connectCall(t, alice, bob, proto.CallTypeAudio)
		eventually(t, "audio flowing", func() bool { return sa.Stats().AudioPackets > 10 })
		if got := asked.Load(); got != int32(i+1) {
			t.Fatalf("after call %d the func was asked %d times", i+1, got)
		}
		alice.Hangup(context.Background())
		expect[*phone.MediaEnded](t, alice)
		expect[*phone.MediaEnded](t, bob)
	}
}
