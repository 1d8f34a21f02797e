package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/widget"
)

// Settings' device test shows the camera and moves the level meter with
// the microphone, stops on request, and the test sound says when there is
// no speaker to play it on.
func TestSettingsDeviceCheck(t *testing.T) {
	r := newRig(t)
	a := r.newApp("alice", "alice-desktop")
	a.signIn()
	a.tap(func() *widget.Button { return a.u.setView.check.toggle })
	a.waitFor("the level meter moving", func() bool { return a.u.setView.check.level.Value > 0.3 })
	a.waitFor("camera frames for the preview", func() bool {
		src := a.u.setView.check.preview.src
		return src != nil && src.seq() > 3
	})
	onUI(func() {
		if !a.u.setView.check.box.Visible() || a.u.setView.check.toggle.Text != checkStopLabel {
			t.Error("the test's preview and meter are not shown")
		}
	})
	a.tap(func() *widget.Button { return a.u.setView.check.toggle })
	a.waitFor("the test stopped", func() bool {
		return a.u.devCheck.Load() == nil && !a.u.setView.check.box.Visible() && a.u.setView.check.toggle.Text == checkStartLabel
	})
	a.tap(func() *widget.Button { return a.u.setView.check.sound })
	a.waitFor("the test sound played or said why not", func() bool {
		return !a.u.setView.check.sound.Disabled() && (a.notice() == "" || strings.HasPrefix(a.notice(), "No sound"))
	})
}
