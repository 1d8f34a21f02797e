package gui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Compact shrinks the window to the peer's picture, mute and hang up, and
// Expand gives the window back its size and controls; mute still works
// in between.
func TestCompactCallWindow(t *testing.T) {
	r := newRig(t)
	alice, bob := r.aliceAndBob()
	alice.tap(func() *widget.Button { return alice.row("bob").video })
	bob.waitFor("ringing dialog", func() bool { return bob.u.ring != nil })
	bob.tap(func() *widget.Button { return bob.u.ring.acceptVideo })
	alice.waitFor("live video", func() bool {
		return alice.inCall() && alice.u.call.firstFrame && alice.u.callView.remote.Visible()
	})

	var full fyne.Size
	onUI(func() { full = alice.w.Canvas().Size() })
	alice.tap(func() *widget.Button { return alice.u.callView.compact })
	alice.waitFor("the compact call", func() bool {
		v := alice.u.callView
		return alice.w.Canvas().Size() == compactSize && v.remote.Visible() && v.mute.Visible() && v.hangup.Visible() &&
			!v.camera.Visible() && !v.devices.Visible() && !v.record.Visible() && !v.statsBtn.Visible() &&
			!v.previewBox.Visible() && v.compact.Text == expandLabel
	})
	alice.saveScreenshot("compact-call.png")
	alice.tap(func() *widget.Button { return alice.u.callView.mute })
	bob.waitFor("alice muted", func() bool { return bob.u.callView.peerMuted.Visible() })

	alice.tap(func() *widget.Button { return alice.u.callView.compact })
	alice.waitFor("the whole call screen", func() bool {
		v := alice.u.callView
		return alice.w.Canvas().Size() == full && v.camera.Visible() && v.statsBtn.Visible() && v.previewBox.Visible() &&
			v.compact.Text == compactLabel
	})

	// Hanging up in compact mode brings the main view back at full size.
	alice.tap(func() *widget.Button { return alice.u.callView.compact })
	alice.waitFor("compact again", func() bool { return alice.w.Canvas().Size() == compactSize })
	alice.tap(func() *widget.Button { return alice.u.callView.hangup })
	alice.waitFor("the main view at full size", func() bool { return alice.u.call == nil && alice.w.Canvas().Size() == full })
}
