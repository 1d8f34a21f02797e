package media_test

import (
	"testing"

	"duet/call/media"
)

// TestStatsSendRate: during a call each side reports a send rate, and what
// one sends is about what the other receives.
func TestStatsSendRate(t *testing.T) {
	r := newRig(t)
	alice, bob := r.peer("alice"), r.peer("bob")
	loop := media.Config{LoopbackOnly: true}
	connect(t, alice, bob, loop, loop)
	flowing(t, []*peer{alice, bob}, 15)
	for _, pair := range [][2]*peer{{alice, bob}, {bob, alice}} {
		from, to := pair[0], pair[1]
		var sent, received float64
		eventually(t, from.name+" sending at about the rate "+to.name+" receives", func() bool {
			sent, received = from.media().Stats().SendKbps, to.media().Stats().RecvKbps
			return sent > 0 && received > 0 && sent < 2*received && received < 2*sent
		})
		t.Logf("%s sends %.0f kbps, %s receives %.0f kbps", from.name, sent, to.name, received)
	}
}
