package gui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"duet/call/proto"
	"duet/devices"
)

// menuItemLabelled finds the item of the call screen's device menu that
// shows label, or nil. UI thread.
func menuItemLabelled(pm *widget.PopUpMenu, label string) fyne.Tappable {
	for _, item := range pm.Items {
		for _, o := range test.LaidOutObjects(item) {
			if txt, ok := o.(*canvas.Text); ok && txt.Text == label {
				tap, _ := item.(fyne.Tappable)
				return tap
			}
		}
	}
	return nil
}

// The call screen's Devices menu lists the cameras, and picking one moves
// the call to it at once, as Settings does: the peer goes on receiving
// video and Settings keeps the choice.
func TestCallScreenDeviceMenuSwitchesCamera(t *testing.T) {
	r := newRig(t)
	bob := r.dialPhone("bob", "bob-bot")
	alice := r.newApp("alice", "alice-desktop")
	alice.signIn()
	if _, err := bob.Call(ctxT(t), "alice", proto.CallTypeVideo, callOpts("")); err != nil {
		t.Fatal(err)
	}
	alice.waitFor("ringing dialog", func() bool { return alice.u.ring != nil })
	alice.tap(func() *widget.Button { return alice.u.ring.acceptVideo })
	alice.waitFor("video flowing", func() bool {
		return alice.inCall() && alice.u.call.session != nil && alice.u.call.session.Stats().FramesDecoded > 10
	})
	session := alice.u.call.session
	if got := session.Capture().CameraID(); got != devices.SyntheticCameraID {
		t.Fatalf("the call starts on camera %q", got)
	}
	alice.tap(func() *widget.Button { return alice.u.callView.devices })
	const scene = "Synthetic scene (detailed)"
	alice.waitFor("the device menu listing the scene camera", func() bool {
		pm := alice.u.callView.deviceMenu
		return pm != nil && pm.Visible() && menuItemLabelled(pm, scene) != nil
	})
	onUI(func() { test.Tap(menuItemLabelled(alice.u.callView.deviceMenu, scene)) })
	alice.waitFor("the call on the scene camera", func() bool { return session.Capture().CameraID() == devices.SyntheticSceneCameraID })
	if got := alice.u.settings.get().CameraID; got != devices.SyntheticSceneCameraID {
		t.Errorf("camera setting %q after picking it in the call", got)
	}
	frames := bob.Media().Stats().FramesDecoded
	alice.waitFor("bob still receiving video", func() bool { return bob.Media().Stats().FramesDecoded > frames+10 })
	bob.Hangup(ctxT(t))
	alice.waitFor("back at contacts", func() bool { return alice.u.call == nil })
}
