package server

import (
	"context"
	"fmt"
	"testing"
)

// newConnection is another connection of the device k, as the hub hands
// it to signedIn: what reaches it is in the channel.
func newConnection(c *cluster, k deviceKey) (*session, chan []byte) {
	out := make(chan []byte, 2*gateMostHeld)
	return &session{srv: c.local[k].srv, account: k.account, deviceID: k.deviceID, out: out, ctx: context.Background()}, out
}

// TestMessagesWaitForTheLoginReply: what other nodes send a device while
// its login is under way reaches the new connection after the login's
// reply, in order, and not the old connection the login replaces.
func TestMessagesWaitForTheLoginReply(t *testing.T) {
	c, k, old := gateNode(t)
	c.arriving(k)
	c.toDevice(k, []byte("hangup"), "", "")
	c.toDevice(k, []byte("callRecord"), "", "")
	expectReceived(t, old, "while the login is under way")

	sess, out := newConnection(c, k)
	c.signedIn(k, sess, func() { sess.send([]byte("login reply")) })
	expectReceived(t, out, "at the login", "login reply", "hangup", "callRecord")
	c.toDevice(k, []byte("after"), "", "")
	expectReceived(t, out, "after the login", "after")
	expectReceived(t, old, "after the login")
	if len(c.arrivals) != 0 {
		t.Errorf("%d arrivals left after the login", len(c.arrivals))
	}
	if c.pending[k] == nil {
		t.Error("the device's sign-in was not queued for the other nodes")
	}
}

// TestArrivalHoldsABoundedLine: a device that signs in while a flood is
// sent to it gets the newest messages, at most gateMostHeld of them.
func TestArrivalHoldsABoundedLine(t *testing.T) {
	c, k, _ := gateNode(t)
	c.arriving(k)
	for i := range gateMostHeld + 6 {
		c.toDevice(k, fmt.Appendf(nil, "m%d", i), "", "")
	}
	sess, out := newConnection(c, k)
	c.signedIn(k, sess, func() {})
	got := received(out)
	if len(got) != gateMostHeld || got[0] != "m6" || got[len(got)-1] != fmt.Sprintf("m%d", gateMostHeld+5) {
		t.Errorf("the device got %d messages, %q … %q; want m6 … m%d", len(got), got[0], got[len(got)-1], gateMostHeld+5)
	}
}

// TestTwoLoginsOfOneDevice: the arrival lasts until the last login of the
// device under way ends; each login gets what waited before its reply.
func TestTwoLoginsOfOneDevice(t *testing.T) {
	c, k, _ := gateNode(t)
	c.arriving(k)
	c.arriving(k)
	c.toDevice(k, []byte("first"), "", "")
	one, out1 := newConnection(c, k)
	c.signedIn(k, one, func() {})
	c.toDevice(k, []byte("second"), "", "")
	expectReceived(t, out1, "the first login", "first")
	two, out2 := newConnection(c, k)
	c.signedIn(k, two, func() {})
	expectReceived(t, out2, "the second login", "second")
	if len(c.arrivals) != 0 {
		t.Errorf("%d arrivals left after both logins", len(c.arrivals))
	}
}
