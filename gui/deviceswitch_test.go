package gui

import (
	"testing"

	"fyne.io/fyne/v2/widget"

	"duet/call/proto"
	"duet/devices"
)

// Choosing a camera in Settings during a video call moves the call to it
// at once; the setting is kept for the next calls too.
func TestSettingsCameraSwitchesDuringACall(t *testing.T) {
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
	onUI(func() {
		alice.u.setView.synthetic.SetChecked(false)
		alice.u.setView.camera.SetSelected("Synthetic scene (detailed)")
	})
	alice.waitFor("the call on the chosen camera", func() bool { return session.Capture().CameraID() == devices.SyntheticSceneCameraID })
	if got := alice.u.settings.get().CameraID; got != devices.SyntheticSceneCameraID {
		t.Errorf("camera setting %q", got)
	}
	frames := session.Stats().FramesDecoded
	alice.waitFor("the call going on", func() bool { return session.Stats().FramesDecoded > frames+10 })
	bob.Hangup(ctxT(t))
	alice.waitFor("back at contacts", func() bool { return alice.u.call == nil })
}
