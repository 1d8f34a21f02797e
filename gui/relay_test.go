package gui

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestAlwaysRelaySetting: the Settings checkbox is saved in the
// preferences and applies to the next call; on a server without TURN that
// call fails at once and says why.
func TestAlwaysRelaySetting(t *testing.T) {
	r := newRig(t)
	alice := r.newApp("alice", "alice-desktop")
	r.dialPhone("bob", "bob-bot")
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

	onUI(func() { test.Tap(alice.u.setView.relay) })
	alice.waitFor("the setting off", func() bool { return !alice.u.prefs.Bool(prefRelay) && !alice.u.conn.ph.RelayOnly() })
	onUI(func() {
		if !loadSettings(alice.u.prefs, Config{AlwaysRelay: true}).AlwaysRelay {
			t.Error("--always-relay did not override the preferences")
		}
	})
}
