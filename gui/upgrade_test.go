package gui

import (
	"context"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"duet/call/proto"
	"duet/devices"
)

// An audio call between two desktop apps becomes a video call and back:
// each call screen follows its own camera and the peer's.
func TestAudioCallScreenTurnsVideoOnAndOff(t *testing.T) {
	r := newRig(t)
	alice, bob := r.aliceAndBob()
	alice.tap(func() *widget.Button { return alice.row("bob").audio })
	bob.waitFor("ringing dialog", func() bool { return bob.u.ring != nil })
	bob.tap(func() *widget.Button { return bob.u.ring.acceptAudio })
	for _, a := range []*desk{alice, bob} {
		a.waitFor("audio call live", func() bool {
			return a.inCall() && a.u.call.phase == phaseLive && a.u.call.session.Stats().AudioPackets > 10
		})
	}

	// screen says what a side's call screen shows.
	type screen struct{ remote, avatar, preview, peerCamOff bool }
	look := func(a *desk) (s screen, camera string, enabled bool) {
		v := a.u.callView
		return screen{v.remote.Visible(), v.peerCard.Visible(), v.previewBox.Visible(), v.peerCamOff.Visible()},
			v.camera.Text, !v.camera.Disabled()
	}
	expectScreen := func(a *desk, what string, want screen, wantCamera string) {
		t.Helper()
		a.waitFor(what, func() bool {
			a.u.refreshCall()
			got, camera, enabled := look(a)
			return got == want && camera == wantCamera && enabled
		})
	}
	audio := screen{avatar: true}
	expectScreen(alice, "alice's audio call screen", audio, "Camera on")
	expectScreen(bob, "bob's audio call screen", audio, "Camera on")

	// Alice's camera on: she sees herself, bob sees her; his camera stays off.
	alice.tap(func() *widget.Button { return alice.u.callView.camera })
	expectScreen(alice, "alice's self-view", screen{avatar: true, preview: true, peerCamOff: true}, "Camera off")
	expectScreen(bob, "alice's picture at bob", screen{remote: true}, "Camera on")

	// Bob's too: a video call both ways.
	bob.tap(func() *widget.Button { return bob.u.callView.camera })
	expectScreen(bob, "bob's self-view", screen{remote: true, preview: true}, "Camera off")
	expectScreen(alice, "bob's picture at alice", screen{remote: true, preview: true}, "Camera off")
	onUI(func() {
		img := alice.w.Canvas().Capture()
		if !colourful(img) {
			t.Error("alice's call screen shows no colour picture")
		}
	})
	alice.saveScreenshot("audio-call-turned-video.png")

	// Both cameras off: the audio call's screen again, and the call goes on.
	alice.tap(func() *widget.Button { return alice.u.callView.camera })
	bob.tap(func() *widget.Button { return bob.u.callView.camera })
	expectScreen(alice, "alice back to audio", audio, "Camera on")
	expectScreen(bob, "bob back to audio", audio, "Camera on")
	packets := bob.u.call.session.Stats().AudioPackets
	bob.waitFor("audio going on", func() bool { return bob.u.call.session.Stats().AudioPackets > packets+25 })

	alice.tap(func() *widget.Button { return alice.u.callView.hangup })
	for _, a := range []*desk{alice, bob} {
		a.waitFor("back at contacts", func() bool { return a.u.call == nil })
		onUI(func() { a.u.main.tabs.SelectIndex(1) })
		a.waitFor("an audio call in history", func() bool {
			rows := a.u.history.model.rows
			return len(rows) == 1 && rows[0].status == proto.StatusCompleted && rows[0].typ == proto.CallTypeAudio
		})
	}
}

// noCameraDevices is a machine with a microphone (the synthetic one) and
// no camera.
type noCameraDevices struct{}

func (noCameraDevices) List() (devices.Inventory, error) { return devices.Inventory{}, nil }

func (noCameraDevices) Open(ctx context.Context, cfg devices.CaptureConfig) (*devices.Capture, error) {
	cfg.Synthetic, cfg.CameraID, cfg.MicrophoneID = false, "absent-camera", devices.SyntheticMicrophoneID
	return devices.Open(ctx, cfg)
}

// Camera on in an audio call on a machine whose camera does not open: the
// screen says so and the call goes on as an audio call.
func TestAudioCallCameraThatDoesNotOpen(t *testing.T) {
	r := newRig(t)
	bob := r.dialPhone("bob", "bob-bot")
	fyne.CurrentApp().Preferences().SetBool(prefSynthetic, false)
	a := r.newAppOn("alice", "alice-desktop", noCameraDevices{})
	a.signIn()
	a.waitFor("bob online", func() bool { return a.row("bob") != nil && a.row("bob").presence.Text == "Online" })
	a.tap(func() *widget.Button { return a.row("bob").audio })
	ring := expect[*proto.BeCalling](bob)
	if err := bob.Accept(ctxT(t), ring.CID, proto.CallTypeAudio); err != nil {
		t.Fatal(err)
	}
	a.waitFor("audio call live", func() bool {
		return a.inCall() && a.u.call.phase == phaseLive && a.u.call.session.Stats().AudioPackets > 10
	})
	a.tap(func() *widget.Button { return a.u.callView.camera })
	a.waitFor("the screen saying there is no camera", func() bool {
		v := a.u.callView
		return slices.Contains(v.gapTexts, "No camera — sending no video") && v.camera.Disabled() && v.camera.Text == noCameraLabel
	})
	onUI(func() {
		if v := a.u.callView; v.previewBox.Visible() || v.remote.Visible() || !v.peerCard.Visible() {
			t.Error("the call screen left the audio call's")
		}
	})
	packets := a.u.call.session.Stats().AudioPackets
	a.waitFor("audio going on", func() bool { return a.u.call.session.Stats().AudioPackets > packets+25 })
	a.tap(func() *widget.Button { return a.u.callView.hangup })
	a.waitFor("back at contacts", func() bool { return a.u.call == nil })
}
