package gui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/canvas"

	"duet/call/proto"
	"duet/devices"
	"duet/internal/pulsetest"
)

// The speaker of a call is unplugged (its PulseAudio sink removed): the
// call screen says so and names the default speaker the call moved to.
func TestSpeakerUnpluggedDuringACallIsShown(t *testing.T) {
	r := newRig(t)
	sinkA := pulsetest.Sink{Name: "duet_gui_a", Description: "DuetGuiA"}
	sinkB := pulsetest.Sink{Name: "duet_gui_b", Description: "DuetGuiB"}
	srv := pulsetest.Start(t, sinkA)
	mod := srv.AddSink(sinkB)
	inv, err := devices.List()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(inv.Speakers, func(d devices.Device) bool { return d.Label == sinkB.Description })
	if i < 0 {
		t.Fatalf("no speaker %s in %v", sinkB.Description, inv.Speakers)
	}
	speakerB := inv.Speakers[i]

	bob := r.dialPhone("bob", "bob-bot")
	alice := r.newApp("alice", "alice-desktop", func(u *ui) {
		s := u.settings.get()
		s.SpeakerID = speakerB.ID
		u.settings.set(s)
	})
	alice.signIn()
	alice.answerCallFrom(bob, proto.CallTypeAudio)
	srv.RemoveSink(mod)
	want := "Speaker unplugged — using " + sinkA.Description
	alice.waitFor("the call screen saying the speaker was unplugged", func() bool {
		return slices.ContainsFunc(alice.u.callView.gapTexts, func(l string) bool { return l == want })
	})
	var shown []string
	onUI(func() {
		for _, o := range alice.u.callView.gapLines.Objects {
			if txt, ok := o.(*canvas.Text); ok {
				shown = append(shown, txt.Text)
			}
		}
	})
	if !slices.ContainsFunc(shown, func(s string) bool { return strings.Contains(s, want) }) {
		t.Errorf("call screen lines %q, want %q", shown, want)
	}
	packets := alice.u.call.session.Stats().AudioPackets
	alice.waitFor("the call going on", func() bool { return alice.u.call.session.Stats().AudioPackets > packets+50 })
	bob.Hangup(ctxT(t))
	alice.waitFor("back at contacts", func() bool { return alice.u.call == nil })
}
