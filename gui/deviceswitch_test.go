package gui

import (
	"testing"

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
	alice.answerCallFrom(bob, proto.CallTypeVideo)
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
