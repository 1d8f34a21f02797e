package gui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"duet/call/proto"
)

// TestAlwaysRelaySetting: the Settings checkbox is saved in the
// preferences and applies to the next call; on a server without TURN that
// call fails at once and says why.
func TestAlwaysRelaySetting(t *testing.T) {
	r := newRig(t)
	alice := r.newApp("alice", "alice-desktop")
	bob := r.dialPhone("bob", "bob-bot")
	alice.signIn()
	onUI(func() {
		if alice.u.conn.ph.RelayOnly() || alice.u.setView.relay.Checked {
			t.Error("relay-only before the setting was ticked")
		}
		if got := alice.u.setView.relay.Text; got != relayLabel {
			t.Errorf("checkbox reads %q", got)
		}
		test.Tap(alice.u.setView.relay)
	})
	alice.waitFor("the setting saved and applied", func() bool {
		return alice.u.prefs.Bool(prefRelay) && alice.u.settings.get().AlwaysRelay && alice.u.conn.ph.RelayOnly()
	})
	onUI(func() {
		if !loadSettings(alice.u.prefs, Config{}).AlwaysRelay {
			t.Error("Always relay not loaded back from the preferences")
		}
	})
	placeAndWaitForEnd(alice, "bob", noRelayMessage)

	// Answering fails the same way, and the caller hears a rejection at once.
	cid, err := bob.Call(ctxT(t), "alice", proto.CallTypeVideo, callOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	alice.waitFor("ringing", func() bool { return alice.u.ring != nil && alice.u.ring.cid == cid })
	onUI(func() { alice.u.accept(proto.CallTypeVideo) })
	alice.waitFor("why answering failed", func() bool { return alice.u.call == nil && alice.notice() == noRelayMessage })
	if rej := expect[*proto.CallRejected](bob); rej.CID != cid {
		t.Fatalf("bob's call %s rejected, want %s", rej.CID, cid)
	}

	onUI(func() { test.Tap(alice.u.setView.relay) })
	alice.waitFor("the setting off", func() bool { return !alice.u.prefs.Bool(prefRelay) && !alice.u.conn.ph.RelayOnly() })
	onUI(func() {
		if !loadSettings(alice.u.prefs, Config{AlwaysRelay: true}).AlwaysRelay {
			t.Error("--always-relay did not override the preferences")
		}
	})
}
