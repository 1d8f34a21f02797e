package gui

import (
	"slices"
	"testing"

	"duet/internal/pulsetest"
)

// A speaker plugged in while the app runs (a PulseAudio sink loaded) is
// in Settings' lists, with its monitor as a microphone, the next time
// Settings is opened; unplugged, it goes.
func TestSettingsListsASpeakerPluggedInWhileRunning(t *testing.T) {
	r := newRig(t)
	sinkA := pulsetest.Sink{Name: "duet_gui_a", Description: "DuetGuiA"}
	sinkB := pulsetest.Sink{Name: "duet_gui_b", Description: "DuetGuiB"}
	srv := pulsetest.Start(t, sinkA)
	alice := r.newApp("alice", "alice-desktop")
	alice.signIn()
	openSettings := func() {
		onUI(func() {
			alice.u.main.tabs.SelectIndex(0)
			alice.u.main.tabs.SelectIndex(2)
		})
	}
	listed := func(want bool) func() bool {
		return func() bool {
			v := alice.u.setView
			return slices.Contains(v.speaker.Options, sinkB.Description) == want &&
				slices.Contains(v.microphone.Options, sinkB.MonitorLabel()) == want
		}
	}
	openSettings()
	alice.waitFor("sink A listed", func() bool { return slices.Contains(alice.u.setView.speaker.Options, sinkA.Description) })
	if listed(true)() {
		t.Fatalf("%s listed before it was plugged in", sinkB.Description)
	}
	mod := srv.AddSink(sinkB)
	openSettings()
	alice.waitFor("the new speaker and its monitor in Settings", listed(true))
	srv.RemoveSink(mod)
	openSettings()
	alice.waitFor("the unplugged speaker gone from Settings", listed(false))
}
