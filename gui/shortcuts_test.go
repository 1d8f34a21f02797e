package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// press types a shortcut into a's window, as the keyboard would.
func (a *desk) press(s fyne.Shortcut) {
	onUI(func() { a.w.Canvas().(fyne.Shortcutable).TypedShortcut(s) })
}

// The keyboard answers, mutes, turns the camera off, hangs up and
// declines, and Ctrl+/ lists the shortcuts.
func TestKeyboardShortcuts(t *testing.T) {
	r := newRig(t)
	alice, bob := r.aliceAndBob()

	alice.tap(func() *widget.Button { return alice.row("bob").video })
	bob.waitFor("ringing dialog", func() bool { return bob.u.ring != nil })
	bob.press(ctrlShift(fyne.KeyA))
	for _, a := range []*desk{alice, bob} {
		a.waitFor("in the call", func() bool { return a.inCall() && a.u.call.phase == phaseLive })
	}
	alice.press(ctrlShift(fyne.KeyM))
	bob.waitFor("alice muted", func() bool { return bob.u.callView.peerMuted.Visible() })
	alice.press(ctrlShift(fyne.KeyV))
	bob.waitFor("alice's camera off", func() bool { return bob.u.callView.peerCamOff.Visible() })
	alice.press(ctrlShift(fyne.KeyE))
	for _, a := range []*desk{alice, bob} {
		a.waitFor("back at contacts", func() bool { return a.u.call == nil })
	}

	alice.tap(func() *widget.Button { return alice.row("bob").audio })
	bob.waitFor("ringing again", func() bool { return bob.u.ring != nil && !bob.u.ring.closing })
	bob.press(ctrlShift(fyne.KeyE))
	alice.waitFor("declined", func() bool { return strings.Contains(alice.notice(), "declined") })

	bob.press(helpShortcut)
	bob.waitFor("the shortcuts list", func() bool { return bob.u.shortcutsHelp != nil })
	onUI(func() {
		rows := shortcutsList().Objects
		if len(rows) != 2*(len(callShortcuts)+1) {
			t.Errorf("the list has %d cells for %d shortcuts", len(rows), len(callShortcuts)+1)
		}
		if got := rows[0].(*widget.Label).Text; !strings.Contains(got, "Shift") || !strings.HasSuffix(got, "A") {
			t.Errorf("first shortcut reads %q", got)
		}
	})
}
