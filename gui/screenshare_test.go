package gui

import (
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"duet/call/proto"
	"duet/internal/xvfbtest"
)

// Share screen in a video call sends the screen in place of the camera:
// bob decodes the screen's frames and reads "alice is sharing their
// screen"; Stop sharing brings alice's camera back and the line goes.
func TestShareScreenInAVideoCall(t *testing.T) {
	xvfbtest.Start(t, 960, 540) // small: every frame is converted, encoded and drawn under -race
	xvfbtest.Grid(t, "#3b6fd8", "#eef2f8")
	r := newRig(t)
	alice, bob := r.aliceAndBob()
	alice.callDesk(bob, proto.CallTypeVideo)
	onUI(func() {
		if v := alice.u.callView; v.share.Disabled() || v.share.Text != "Share screen" {
			t.Errorf("alice's share button: %q, disabled %t", v.share.Text, v.share.Disabled())
		}
	})

	alice.tap(func() *widget.Button { return alice.u.callView.share })
	alice.waitFor("sharing", func() bool { return alice.u.call.share.on && alice.u.callView.share.Text == "Stop sharing" })
	bob.waitFor("the screen's frames", func() bool {
		st := bob.u.call.session.Stats()
		return st.Width == 960 && st.Height == 540
	})
	bob.waitFor("alice is sharing", func() bool { return bob.u.callView.peerShare.Visible() })
	onUI(func() {
		if got := bob.u.callView.peerShare.Objects[1].(*canvas.Text).Text; got != "alice is sharing their screen" {
			t.Errorf("bob's indicator reads %q", got)
		}
		if alice.u.callView.peerShare.Visible() {
			t.Error("alice is told she shares")
		}
	})
	if os.Getenv(screenshotsEnv) != "" { // a capture takes 20 s under -race
		bob.saveScreenshot("screen-share-peer.png")
	}

	alice.tap(func() *widget.Button { return alice.u.callView.share })
	alice.waitFor("sharing stopped", func() bool { return !alice.u.call.share.on && alice.u.callView.share.Text == "Share screen" })
	bob.waitFor("the indicator gone", func() bool { return !bob.u.callView.peerShare.Visible() })
	bob.waitFor("alice's camera again", func() bool {
		st := bob.u.call.session.Stats()
		return st.Width > 0 && st.Width != 960
	})
}

// Where no screen can be shared (here a Wayland session without
// XWayland), the button says so before it is tapped, and tapping it says
// why.
func TestShareScreenImpossible(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	r := newRig(t)
	alice, bob := r.aliceAndBob()
	alice.callDesk(bob, proto.CallTypeVideo)
	alice.waitFor("the button saying it cannot share", func() bool {
		return alice.inCall() && alice.u.callView.share.Text == "Can't share screen" && !alice.u.callView.share.Disabled()
	})
	alice.tap(func() *widget.Button { return alice.u.callView.share })
	alice.waitFor("why, in a dialog", func() bool {
		top := alice.w.Canvas().Overlays().Top()
		return top != nil && strings.Contains(strings.Join(textsIn(top), " "), "needs X11, and this Wayland session has no XWayland")
	})
	onUI(func() {
		if alice.u.call.share.on || alice.u.call.share.busy {
			t.Error("the call thinks it shares")
		}
	})
}

// textsIn collects the text of every label and canvas text under o.
func textsIn(o fyne.CanvasObject) []string {
	var out []string
	switch v := o.(type) {
	case *widget.Label:
		out = append(out, v.Text)
	case *canvas.Text:
		out = append(out, v.Text)
	case *widget.RichText:
		out = append(out, v.String())
	case *fyne.Container:
		for _, c := range v.Objects {
			out = append(out, textsIn(c)...)
		}
		return out
	}
	if w, ok := o.(fyne.Widget); ok {
		if r := test.WidgetRenderer(w); r != nil {
			for _, c := range r.Objects() {
				out = append(out, textsIn(c)...)
			}
		}
	}
	return out
}

// In an audio call, Share screen makes it a video call as the camera
// would: bob's screen turns to alice's shared screen, and Stop sharing
// turns both back to the audio call's screen.
func TestShareScreenInAnAudioCall(t *testing.T) {
	xvfbtest.Start(t, 960, 540) // small: every frame is converted, encoded and drawn under -race
	xvfbtest.Fill(t, "#2040c0")
	r := newRig(t)
	alice, bob := r.aliceAndBob()
	alice.callDesk(bob, proto.CallTypeAudio)
	for _, a := range []*desk{alice, bob} {
		a.waitFor("the audio call's screen", func() bool { return !a.u.call.showsVideo() })
	}
	alice.tap(func() *widget.Button { return alice.u.callView.share })
	alice.waitFor("sharing", func() bool { return alice.u.call.share.on && alice.u.call.showsVideo() })
	bob.waitFor("alice's screen on bob's", func() bool {
		st := bob.u.call.session.Stats()
		return bob.u.call.showRemoteVideo() && bob.u.callView.peerShare.Visible() && st.Width == 960
	})
	alice.tap(func() *widget.Button { return alice.u.callView.share })
	for _, a := range []*desk{alice, bob} {
		a.waitFor("the audio call's screen again", func() bool { return !a.u.call.showsVideo() })
	}
}
