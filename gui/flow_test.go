package gui

import (
	"context"
	"image"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"duet/call/proto"
	"duet/call/server"
)

func TestSignInShowsContactsWithPresence(t *testing.T) {
	r := newRig(t)
	bob := r.dialPhone("bob", "bob-bot")
	a := r.newApp("", "alice-desktop")
	onUI(func() {
		test.Type(a.u.signin.account, "alice")
	})
	a.signIn()
	a.waitFor("alice and bob listed", func() bool { return a.row("alice") != nil && a.row("bob") != nil })
	onUI(func() {
		if row := a.row("alice"); row.name.Text != "alice (you)" || row.video.Visible() || row.audio.Visible() {
			t.Errorf("own row: %q, call buttons shown %t/%t", row.name.Text, row.audio.Visible(), row.video.Visible())
		}
		if row := a.row("bob"); row.presence.Text != "Online" || !row.video.Visible() || !row.audio.Visible() {
			t.Errorf("bob: %q, call buttons shown %t/%t", row.presence.Text, row.audio.Visible(), row.video.Visible())
		}
		if got := a.u.prefs.String(prefAccount); got != "alice" {
			t.Errorf("remembered account %q", got)
		}
		if !strings.Contains(a.u.main.status.Text, "online") {
			t.Errorf("status %q", a.u.main.status.Text)
		}
	})

	// Presence follows bob signing out, and the filter narrows the list.
	bob.Close()
	a.waitFor("bob offline", func() bool { return a.row("bob") != nil && a.row("bob").presence.Text == "Offline" })
	onUI(func() { test.Type(a.u.contacts.filter, "ali") })
	a.waitFor("filtered", func() bool { return a.row("bob") == nil && a.row("alice") != nil })
	onUI(func() { test.Type(a.u.contacts.filter, "zz") })
	a.waitFor("nobody matches", func() bool { return strings.Contains(a.u.contacts.empty.Text, "Nobody matches") })
}

func TestSignInErrors(t *testing.T) {
	r := newRigWith(t, false)
	token, err := server.AddAccount(ctxT(t), r.db, "alice")
	if err != nil {
		t.Fatal(err)
	}
	a := r.newApp("alice", "alice-desktop")

	onUI(func() { test.Type(a.u.signin.token, "not-the-token") })
	a.tap(func() *widget.Button { return a.u.signin.button })
	a.waitFor("unauthorized message", func() bool { return strings.Contains(a.u.signin.message.Text, "Wrong account or token") })

	// A server that is not there.
	ln := mustListen(t)
	dead := ln.Addr().String()
	ln.Close()
	onUI(func() {
		a.u.signin.server.SetText(dead)
		a.u.signin.token.SetText(token)
	})
	a.tap(func() *widget.Button { return a.u.signin.button })
	a.waitFor("unreachable message", func() bool {
		return strings.Contains(a.u.signin.message.Text, "Cannot reach the server at "+dead)
	})

	onUI(func() { a.u.signin.server.SetText(r.addr) }) // host:port is completed to ws://…/ws
	a.signIn()
}

func TestVideoCallAnswerHangupAndHistory(t *testing.T) {
	r := newRig(t)
	alice, bob := r.aliceAndBob()

	alice.tap(func() *widget.Button { return alice.row("bob").video })
	alice.waitFor("outgoing view", func() bool {
		return alice.u.call != nil && alice.u.callView.outgoing.Visible() && alice.u.call.phase == phaseRinging
	})
	bob.waitFor("ringing dialog", func() bool { return bob.u.ring != nil && bob.w.Canvas().Overlays().Top() != nil })
	onUI(func() {
		if bob.u.ring.caller != "alice" || bob.u.ring.typ != proto.CallTypeVideo {
			t.Errorf("ringing for %q, %v", bob.u.ring.caller, bob.u.ring.typ)
		}
	})
	bob.tap(func() *widget.Button { return bob.u.ring.acceptVideo })

	for _, a := range []*desk{alice, bob} {
		a.waitFor("in call with live video", func() bool {
			return a.inCall() && a.u.call.phase == phaseLive && a.u.call.firstFrame && a.u.callView.remote.Visible()
		})
	}
	// The window really shows the peer's picture: paint it and look.
	onUI(func() {
		img := alice.w.Canvas().Capture()
		if alice.u.callView.remote.draws.Load() == 0 {
			t.Error("remote video never drawn")
		}
		if !colourful(img) {
			t.Error("the call screen shows no colour picture")
		}
		if !alice.u.callView.previewBox.Visible() {
			t.Error("no self-view")
		}
	})

	// Mute reaches the peer's indicator; stats toggle.
	alice.tap(func() *widget.Button { return alice.u.callView.mute })
	bob.waitFor("peer muted indicator", func() bool { return bob.u.callView.peerMuted.Visible() })
	alice.tap(func() *widget.Button { return alice.u.callView.camera })
	bob.waitFor("peer camera off indicator", func() bool { return bob.u.callView.peerCamOff.Visible() && !bob.u.callView.remote.Visible() })
	bob.tap(func() *widget.Button { return bob.u.callView.statsBtn })
	bob.waitFor("stats", func() bool {
		return bob.u.callView.statsBox.Visible() && strings.Contains(bob.u.callView.statsText.Text, "640×480")
	})

	// Both cameras off: the audio call's screen on both sides, and back.
	bob.tap(func() *widget.Button { return bob.u.callView.camera })
	for _, a := range []*desk{alice, bob} {
		a.waitFor("the audio call's screen", func() bool {
			v := a.u.callView
			return v.peerCard.Visible() && !v.remote.Visible() && !v.previewBox.Visible() && !v.peerCamOff.Visible()
		})
	}
	bob.tap(func() *widget.Button { return bob.u.callView.camera })
	bob.waitFor("bob's self-view again", func() bool { return bob.u.callView.previewBox.Visible() })
	alice.waitFor("bob's picture at alice", func() bool { return alice.u.callView.remote.Visible() })

	alice.tap(func() *widget.Button { return alice.u.callView.hangup })
	for _, a := range []*desk{alice, bob} {
		a.waitFor("back at contacts", func() bool { return a.u.call == nil && a.u.win.Content() == a.u.main.root })
	}
	bob.waitFor("hung-up notice", func() bool { return strings.Contains(bob.notice(), "alice hung up") })

	for _, a := range []*desk{alice, bob} {
		onUI(func() { a.u.main.tabs.SelectIndex(1) })
		a.waitFor("the call in history", func() bool {
			rows := a.u.history.model.rows
			return len(rows) == 1 && rows[0].status == proto.StatusCompleted && rows[0].typ == proto.CallTypeVideo
		})
	}
	onUI(func() {
		if row := alice.u.history.model.rows[0]; row.incoming || row.peer != "bob" {
			t.Errorf("alice's record: %+v", row)
		}
		if row := bob.u.history.model.rows[0]; !row.incoming || row.peer != "alice" || row.duration <= 0 {
			t.Errorf("bob's record: %+v", row)
		}
	})
}

func TestAudioOnlyAnswerShowsAvatar(t *testing.T) {
	r := newRig(t)
	alice := r.dialPhone("alice", "alice-bot")
	bob := r.newApp("bob", "bob-desktop")
	bob.signIn()

	if _, err := alice.Call(ctxT(t), "bob", proto.CallTypeVideo, callOpts("standup in 5")); err != nil {
		t.Fatal(err)
	}
	bob.waitFor("ringing dialog", func() bool { return bob.u.ring != nil })
	onUI(func() {
		if bob.u.ring.custom != "standup in 5" {
			t.Errorf("custom text %q", bob.u.ring.custom)
		}
	})
	bob.tap(func() *widget.Button { return bob.u.ring.acceptAudio })
	bob.waitFor("audio-only call connected", func() bool { return bob.inCall() && bob.u.call.phase == phaseLive })
	onUI(func() {
		if bob.u.callView.remote.Visible() || !bob.u.callView.peerCard.Visible() || bob.u.callView.previewBox.Visible() {
			t.Error("audio-only answer shows video instead of the avatar")
		}
		// The camera turns video on mid-call (upgrade_test.go).
		if v := bob.u.callView.camera; v.Disabled() || v.Text != "Camera on" {
			t.Errorf("camera button in an audio-only call: disabled %t, %q", v.Disabled(), v.Text)
		}
	})
	// (Hanging up in the first moments after connecting can deadlock the
	// caller's peer connection close in mediadevices; let audio flow first.)
	bob.waitFor("audio flowing", func() bool { return bob.u.call.session.Stats().AudioPackets > 10 })
	alice.Hangup(ctxT(t))
	bob.waitFor("back at contacts", func() bool { return bob.u.call == nil })
}

func TestRejectShowsDeclined(t *testing.T) {
	r := newRig(t)
	bob := r.newApp("bob", "bob-desktop")
	bob.signIn()
	alice := r.newApp("alice", "alice-desktop", func(u *ui) { u.noAnswerTimeout = time.Minute })
	alice.signIn()
	alice.waitFor("bob listed", func() bool { return alice.row("bob") != nil })

	alice.tap(func() *widget.Button { return alice.row("bob").audio })
	bob.waitFor("ringing dialog", func() bool { return bob.u.ring != nil })
	bob.tap(func() *widget.Button { return bob.u.ring.rejectBtn })
	alice.waitFor("declined", func() bool {
		return alice.u.call != nil && alice.u.call.phase == phaseEnded &&
			alice.u.callView.outStatus.Text == "bob declined the call"
	})
	onUI(func() {
		if alice.u.callView.cancel.Text != "Close" {
			t.Errorf("button says %q after the call ended", alice.u.callView.cancel.Text)
		}
	})
	alice.tap(func() *widget.Button { return alice.u.callView.cancel })
	alice.waitFor("back at contacts", func() bool { return alice.u.call == nil && alice.u.win.Content() == alice.u.main.root })
	bob.waitFor("dialog gone", func() bool { return bob.u.ring == nil && bob.w.Canvas().Overlays().Top() == nil })
}

func TestCancelClosesTheCalleesDialog(t *testing.T) {
	r := newRig(t)
	bob := r.newApp("bob", "bob-desktop")
	bob.signIn()
	alice := r.newApp("alice", "alice-desktop")
	alice.signIn()
	alice.waitFor("bob listed", func() bool { return alice.row("bob") != nil })

	alice.tap(func() *widget.Button { return alice.row("bob").video })
	bob.waitFor("ringing dialog", func() bool { return bob.u.ring != nil })
	alice.waitFor("ringing", func() bool { return alice.u.call != nil && alice.u.call.phase == phaseRinging })
	alice.tap(func() *widget.Button { return alice.u.callView.cancel })
	alice.waitFor("back at contacts", func() bool { return alice.u.call == nil })
	bob.waitFor("cancelled notice", func() bool {
		return bob.u.ring == nil && strings.Contains(bob.notice(), "alice cancelled the call")
	})
	bob.waitFor("dialog closed", func() bool { return bob.w.Canvas().Overlays().Top() == nil })
}

func TestAnsweredOnAnotherDeviceClosesTheDialog(t *testing.T) {
	r := newRig(t)
	bob := r.newApp("bob", "bob-desktop")
	bob.signIn()
	bobPhone := r.dialPhone("bob", "bob-phone")
	alice := r.dialPhone("alice", "alice-bot")

	cid, err := alice.Call(ctxT(t), "bob", proto.CallTypeVideo, callOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	bob.waitFor("ringing dialog", func() bool { return bob.u.ring != nil })
	expect[*proto.BeCalling](bobPhone)
	if err := bobPhone.Accept(ctxT(t), cid, proto.CallTypeVideo); err != nil {
		t.Fatal(err)
	}
	bob.waitFor("answered elsewhere", func() bool {
		return bob.u.ring == nil && strings.Contains(bob.notice(), "Answered on another device")
	})
	bob.waitFor("dialog closed", func() bool { return bob.w.Canvas().Overlays().Top() == nil })
	onUI(func() {
		if bob.u.call != nil {
			t.Error("the desktop joined a call another device answered")
		}
	})
	alice.Hangup(ctxT(t))
}

func TestCallEndReasons(t *testing.T) {
	r := newRig(t)
	alice := r.newApp("alice", "alice-desktop", func(u *ui) { u.noAnswerTimeout = 2 * time.Second })
	carol := r.dialPhone("carol", "carol-bot")
	dave := r.dialPhone("dave", "dave-bot")
	alice.signIn()

	// Offline: erin existed once.
	erin := r.dialPhone("erin", "erin-bot")
	erin.Close()
	alice.waitFor("erin offline", func() bool { return alice.row("erin") != nil && alice.row("erin").presence.Text == "Offline" })
	placeAndWaitForEnd(alice, "erin", "erin is offline — try again later")

	// No answer: carol's phone rings but nobody picks up.
	placeAndWaitForEnd(alice, "carol", "carol did not answer")

	// Busy: carol is in a call with dave.
	cid, err := dave.Call(ctxT(t), "carol", proto.CallTypeAudio, callOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if be := expect[*proto.BeCalling](carol); be.CID == cid {
			break
		}
	}
	if err := carol.Accept(ctxT(t), cid, proto.CallTypeAudio); err != nil {
		t.Fatal(err)
	}
	alice.waitFor("carol in a call", func() bool { return alice.row("carol").presence.Text == "In a call" })
	placeAndWaitForEnd(alice, "carol", "carol is busy — try again later")
	dave.Hangup(ctxT(t))
}

// placeAndWaitForEnd calls peer from the contacts list and waits for the
// outgoing view to show why it ended, then for the contacts to come back.
func placeAndWaitForEnd(a *desk, peer, reason string) {
	a.t.Helper()
	a.waitFor(peer+" listed", func() bool { return a.row(peer) != nil })
	a.tap(func() *widget.Button { return a.row(peer).audio })
	a.waitFor("“"+reason+"”", func() bool {
		return a.u.call != nil && a.u.call.phase == phaseEnded && a.u.callView.outStatus.Text == reason
	})
	a.waitFor("back at contacts", func() bool { return a.u.call == nil && a.u.win.Content() == a.u.main.root })
}

func TestSignOutReturnsToSignIn(t *testing.T) {
	r := newRig(t)
	a := r.newApp("alice", "alice-desktop")
	a.signIn()
	a.tap(func() *widget.Button { return a.u.main.signOut })
	a.waitFor("sign-in view", func() bool { return a.u.win.Content() == a.u.signin.root && a.u.conn.state == connSignedOut })
	a.signIn()
}

func TestIncomingCallNotifiesWhenUnfocused(t *testing.T) {
	r := newRig(t)
	a := r.newApp("bob", "bob-desktop")
	want := newNotification("Incoming call from alice", "alice is calling you (video): about the release")
	test.AssertNotificationSent(t, want, func() {
		onUI(func() {
			a.u.focused = false
			a.u.incoming(&proto.BeCalling{CID: "c1", Caller: "alice", Type: proto.CallTypeVideo, Custom: "about the release"})
		})
	})
	onUI(func() {
		a.u.closeRingingDialog("")
		a.u.focused = true
		a.u.incoming(&proto.BeCalling{CID: "c2", Caller: "alice", Type: proto.CallTypeAudio})
		a.u.closeRingingDialog("")
	})
}

// colourful reports whether img has a good share of saturated pixels: the
// test pattern's colour bars, not the call screen's greys.
func colourful(img image.Image) bool {
	b := img.Bounds()
	var n, total int
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			hi, lo := max(r, g, bl)>>8, min(r, g, bl)>>8
			if hi-lo > 80 {
				n++
			}
			total++
		}
	}
	return n*10 > total // more than a tenth
}

var _ = context.Background

// The server may answer a call busy right behind its reply; the event can
// then reach the UI before the reply does.
func TestEventsBeforeTheCallReplyAreKept(t *testing.T) {
	r := newRig(t)
	a := r.newApp("alice", "alice-desktop")
	onUI(func() {
		ac := newActiveCall("bob", proto.CallTypeVideo, true)
		a.u.showCall(ac)
		a.u.onEvent(a.u.conn.epoch, &proto.CallRejected{CID: "c1", Reason: proto.ReasonBusy})
		a.u.onEvent(a.u.conn.epoch, &proto.CallRejected{CID: "c0", Reason: proto.ReasonRejected}) // another call's
		if ac.phase != phaseDialing || len(ac.pending) != 2 {
			t.Fatalf("phase %v, %d pending", ac.phase, len(ac.pending))
		}
		a.u.callPlaced(ac, "c1")
		if ac.phase != phaseEnded || a.u.callView.outStatus.Text != "bob is busy — try again later" {
			t.Fatalf("phase %v, status %q", ac.phase, a.u.callView.outStatus.Text)
		}
		a.u.dropCall()
	})
}
