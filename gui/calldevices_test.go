package gui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"duet/call/proto"
	"duet/devices"
	"duet/internal/pulsetest"
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
	alice.answerCallFrom(bob, proto.CallTypeVideo)
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

// The Devices menu in an audio call lists the sound server's speakers and
// microphones; picking sink B and its monitor moves the call's sound and
// microphone there, without the camera section an audio call has no use
// for.
func TestCallScreenDeviceMenuSwitchesSpeakerAndMicrophone(t *testing.T) {
	r := newRig(t)
	sinkA := pulsetest.Sink{Name: "duet_gui_a", Description: "DuetGuiA"}
	sinkB := pulsetest.Sink{Name: "duet_gui_b", Description: "DuetGuiB"}
	srv := pulsetest.Start(t, sinkA, sinkB)
	inv, err := devices.List()
	if err != nil {
		t.Fatal(err)
	}
	monitorB := inv.Microphones[slices.IndexFunc(inv.Microphones, func(d devices.Device) bool { return d.Label == sinkB.MonitorLabel() })]
	bob := r.dialPhone("bob", "bob-bot")
	alice := r.newApp("alice", "alice-desktop")
	alice.signIn()
	alice.answerCallFrom(bob, proto.CallTypeAudio)
	session := alice.u.call.session
	sinkIndex := func(name string) string {
		for _, l := range strings.Split(srv.Pactl("list", "short", "sinks"), "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[1] == name {
				return f[0]
			}
		}
		t.Fatalf("no sink %s", name)
		return ""
	}
	playsOn := func(sink string) bool {
		for _, l := range strings.Split(srv.Pactl("list", "short", "sink-inputs"), "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[1] == sink {
				return true
			}
		}
		return false
	}
	idxB := sinkIndex(sinkB.Name)
	if playsOn(idxB) {
		t.Fatal("the call plays on sink B before it was picked")
	}
	pick := func(label string) {
		t.Helper()
		alice.tap(func() *widget.Button { return alice.u.callView.devices })
		alice.waitFor("the device menu listing "+label, func() bool {
			pm := alice.u.callView.deviceMenu
			return pm != nil && pm.Visible() && menuItemLabelled(pm, label) != nil
		})
		onUI(func() {
			if menuItemLabelled(alice.u.callView.deviceMenu, "Synthetic scene (detailed)") != nil {
				t.Error("the menu of an audio call lists cameras")
			}
			test.Tap(menuItemLabelled(alice.u.callView.deviceMenu, label))
		})
	}
	pick(sinkB.Description)
	waitFor(t, "the call's sound on sink B", func() bool { return playsOn(idxB) })
	pick(sinkB.MonitorLabel())
	alice.waitFor("the call's microphone on sink B's monitor", func() bool { return session.Capture().MicrophoneID() == monitorB.ID })
	s := alice.u.settings.get()
	if s.MicrophoneID != monitorB.ID || s.Synthetic {
		t.Errorf("settings %+v after picking %s", s, monitorB.Label)
	}
	bob.Hangup(ctxT(t))
	alice.waitFor("back at contacts", func() bool { return alice.u.call == nil })
}
