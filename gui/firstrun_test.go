package gui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"duet/call/bot"
	"duet/call/local"
	"duet/call/proto"
	"duet/devices"
)

// absentDevices is a machine whose cameras and microphones are the ones
// given (none by default): List reports them, and Open goes through
// devices.Open with IDs no machine has, so it fails as on a machine without
// devices. The synthetic sources still open.
type absentDevices struct {
	inv    devices.Inventory
	listed atomic.Int32
}

func (d *absentDevices) List() (devices.Inventory, error) {
	d.listed.Add(1)
	return d.inv, nil
}

func (d *absentDevices) Open(ctx context.Context, cfg devices.CaptureConfig) (*devices.Capture, error) {
	if !cfg.Synthetic {
		cfg.CameraID, cfg.MicrophoneID = "absent-camera", "absent-microphone"
	}
	return devices.Open(ctx, cfg)
}

// newAppOn opens the app for account with its devices standing in for the
// machine's, the synthetic sources left to the preferences.
func (r *rig) newAppOn(account, device string, devs deviceSource) *desk {
	r.t.Helper()
	th := newUIThread(r.t)
	a := &desk{t: r.t}
	onUI(func() {
		a.w = test.NewTempWindow(r.t, widget.NewLabel(""))
		a.w.Resize(fyne.NewSize(980, 680))
		a.u = newUI(fyne.CurrentApp(), a.w, Config{ServerURL: r.url, Account: account,
			LoopbackOnly: true, DeviceID: device, Logger: testLogger(), devices: devs}, th.post)
		a.u.tuneClient = reconnectFast
	})
	r.t.Cleanup(a.u.shutdown)
	return a
}

// runEcho signs the Echo test contact in, as the built-in server does.
func (r *rig) runEcho() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- bot.Run(ctx, bot.Config{ServerURL: r.url, Account: local.EchoAccount, Echo: true,
			Answer: bot.AnswerAccept, LoopbackOnly: true, Logger: testLogger()})
	}()
	r.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			r.t.Errorf("echo contact: %v", err)
		}
	})
}

func TestFirstRunWithoutDevicesCallsEchoWithTestPattern(t *testing.T) {
	r := newRig(t)
	r.runEcho()
	devs := &absentDevices{}
	a := r.newAppOn("alice", "alice-desktop", devs)
	a.signIn()
	a.waitFor("the no-devices notice", func() bool { return a.notice() == noDevicesNotice })
	onUI(func() {
		if !a.u.settings.get().Synthetic || !a.u.setView.synthetic.Checked {
			t.Error("synthetic sources not on")
		}
		if !a.u.setView.camera.Disabled() || !strings.Contains(a.u.setView.note.Text, "No camera or microphone") {
			t.Errorf("settings: camera list enabled %t, note %q", !a.u.setView.camera.Disabled(), a.u.setView.note.Text)
		}
		if _, saved := savedBool(a.u.prefs, prefSynthetic); saved {
			t.Error("the default was saved as the user's choice")
		}
	})

	// The Echo test sends the test pattern back: video both ways at once.
	a.waitFor("Echo test online", func() bool {
		row := a.row(local.EchoAccount)
		return row != nil && row.presence.Text == "Online" && row.name.Text == "Echo test"
	})
	a.tap(func() *widget.Button { return a.row(local.EchoAccount).video })
	a.waitFor("echoed video", func() bool {
		return a.inCall() && a.u.call.phase == phaseLive && a.u.call.firstFrame && a.u.callView.remote.Visible()
	})
	onUI(func() {
		v := a.u.callView
		if !colourful(a.w.Canvas().Capture()) {
			t.Error("the call screen shows no test pattern")
		}
		if !v.previewBox.Visible() || v.mute.Disabled() || v.camera.Disabled() {
			t.Errorf("self-view %t, mute disabled %t, camera disabled %t", v.previewBox.Visible(), v.mute.Disabled(), v.camera.Disabled())
		}
		if !slices.Contains(v.gapTexts, syntheticInCall) || !v.gapBox.Visible() {
			t.Errorf("call screen lines %q", v.gapTexts)
		}
		if v.name.Text != "Echo test" {
			t.Errorf("call screen name %q", v.name.Text)
		}
	})
	a.waitFor("audio flowing", func() bool { return a.u.call.session.Stats().AudioPackets > 10 })
	a.tap(func() *widget.Button { return a.u.callView.hangup })
	a.waitFor("back at contacts", func() bool { return a.u.call == nil && a.u.win.Content() == a.u.main.root })

	// History names the contact as Contacts and the call screen do.
	onUI(func() { a.u.main.tabs.SelectIndex(1) })
	a.waitFor("the call in history", func() bool {
		rows := a.u.history.model.rows
		return len(rows) == 1 && rows[0].peer == local.EchoAccount && rows[0].status == proto.StatusCompleted
	})
	a.waitFor("a history row named Echo test", func() bool {
		for _, o := range test.LaidOutObjects(a.u.history.list) {
			if row, ok := o.(*historyRowView); ok && row.Visible() && row.row.cid != "" {
				return row.peer.Text == "Echo test"
			}
		}
		return false
	})

	// The next start finds no devices again: the default holds, the notice
	// is not repeated.
	again := r.newAppOn("alice", "alice-desktop-2", devs)
	again.signIn()
	again.waitFor("synthetic on again", func() bool { return again.u.autoSynthetic && again.u.settings.get().Synthetic })
	onUI(func() {
		if again.notice() != "" || again.u.pendingNotice != "" {
			t.Errorf("notice shown again: %q", again.notice()+again.u.pendingNotice)
		}
	})

	// Unticking makes it the user's choice.
	onUI(func() { test.Tap(again.u.setView.synthetic) })
	onUI(func() {
		if on, saved := savedBool(again.u.prefs, prefSynthetic); !saved || on || again.u.autoSynthetic {
			t.Errorf("untick: saved %t, on %t, auto %t", saved, on, again.u.autoSynthetic)
		}
	})
}

func TestSavedChoiceIsKeptAndACallWithoutDevicesSaysSo(t *testing.T) {
	r := newRig(t)
	bob := r.dialPhone("bob", "bob-bot")
	p := fyne.CurrentApp().Preferences()
	p.SetBool(prefSynthetic, false)
	p.SetString(prefSpeaker, "absent-speaker") // unplugged since it was picked
	devs := &absentDevices{}
	a := r.newAppOn("alice", "alice-desktop", devs)
	a.signIn()
	onUI(func() {
		if a.u.settings.get().Synthetic || a.u.autoSynthetic || a.notice() != "" || a.u.pendingNotice != "" {
			t.Errorf("saved choice overridden: synthetic %t, notice %q", a.u.settings.get().Synthetic, a.notice())
		}
	})
	if n := devs.listed.Load(); n != 0 {
		t.Errorf("devices listed %d times at start with a saved choice", n)
	}

	a.waitFor("bob online", func() bool { return a.row("bob") != nil && a.row("bob").presence.Text == "Online" })
	a.tap(func() *widget.Button { return a.row("bob").video })
	ring := expect[*proto.BeCalling](bob)
	if err := bob.Accept(ctxT(t), ring.CID, proto.CallTypeVideo); err != nil {
		t.Fatal(err)
	}
	// Receiving only: bob's picture shows, and the screen says what is missing.
	a.waitFor("bob's video", func() bool {
		return a.inCall() && a.u.call.firstFrame && a.u.callView.remote.Visible()
	})
	want := []string{
		"No microphone — the other side cannot hear you",
		"No camera — sending no video",
		noSpeakerLine,
	}
	onUI(func() {
		v := a.u.callView
		if !slices.Equal(v.gapTexts, want) || !v.gapBox.Visible() {
			t.Errorf("call screen lines %q, shown %t; want %q", v.gapTexts, v.gapBox.Visible(), want)
		}
		if !v.mute.Disabled() || v.mute.Text != noMicLabel {
			t.Errorf("mute: disabled %t, %q", v.mute.Disabled(), v.mute.Text)
		}
		if !v.camera.Disabled() || v.camera.Text != noCameraLabel {
			t.Errorf("camera: disabled %t, %q", v.camera.Disabled(), v.camera.Text)
		}
		if v.previewBox.Visible() {
			t.Error("self-view without a camera")
		}
		a.u.toggleMute() // the shortcut path is inert too
		if !a.u.call.micOn {
			t.Error("muted a microphone that is not there")
		}
	})
	a.waitFor("bob's audio", func() bool { return a.u.call.session.Stats().AudioPackets > 10 })
	a.tap(func() *widget.Button { return a.u.callView.hangup })
	a.waitFor("back at contacts", func() bool { return a.u.call == nil })
}

func TestFirstRunWithADeviceKeepsRealDevices(t *testing.T) {
	r := newRig(t)
	devs := &absentDevices{inv: devices.Inventory{
		Microphones: []devices.Device{{ID: "mic-1", Label: "USB microphone", Kind: devices.KindMicrophone, Default: true}}}}
	a := r.newAppOn("alice", "alice-desktop", devs)
	a.signIn()
	a.waitFor("the microphone in Settings", func() bool { return slices.Contains(a.u.setView.microphone.Options, "USB microphone") })
	onUI(func() {
		if a.u.settings.get().Synthetic || a.u.autoSynthetic || a.u.setView.synthetic.Checked || a.notice() != "" {
			t.Errorf("synthetic turned on with a microphone: notice %q", a.notice())
		}
	})
}

func TestDisplayNamesForBuiltInContacts(t *testing.T) {
	r := newRig(t)
	a := r.newApp("bob", "bob-desktop")
	want := newNotification("Incoming call from Echo test", "Echo test is calling you (video)")
	test.AssertNotificationSent(t, want, func() {
		onUI(func() {
			a.u.focused = false
			a.u.incoming(&proto.BeCalling{CID: "c1", Caller: local.EchoAccount, Type: proto.CallTypeVideo})
		})
	})
	onUI(func() {
		if a.u.ring.name.Text != "Echo test" {
			t.Errorf("ringing dialog names %q", a.u.ring.name.Text)
		}
		a.u.reject()
		if !strings.Contains(a.u.main.notice.Text, "Declined the call from Echo test") {
			t.Errorf("notice %q", a.u.main.notice.Text)
		}
	})
	for _, c := range []struct{ got, want string }{
		{reasonMessage(local.EchoAccount, proto.ReasonBusy), "Echo test is busy — try again later"},
		{reasonMessage(local.TestBotAccount, proto.ReasonHangup), "Test bot hung up"},
		{reasonMessage("carol", proto.ReasonRejected), "carol declined the call"},
		{callError(local.EchoAccount, errors.New("boom")), "Could not call Echo test: boom"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestMediaGaps(t *testing.T) {
	devErr := func(k devices.Kind, reason error) error {
		return &devices.DeviceError{Op: "open", Kind: k, Reason: reason}
	}
	noneOpened := fmt.Errorf("open capture: %w", errors.Join(
		devErr(devices.KindCamera, devices.ErrNoCamera), devErr(devices.KindMicrophone, devices.ErrDeviceBusy)))
	speaker := fmt.Errorf("open playback: %w", devErr(devices.KindSpeaker, devices.ErrNoSpeaker))
	for _, c := range []struct {
		name                           string
		wantVideo, haveMic, haveCamera bool
		errs                           []error
		want                           []string
	}{
		{"all there", true, true, true, nil, nil},
		{"audio call needs no camera", false, true, false, nil, nil},
		{"nothing opened", true, false, false, []error{noneOpened, speaker}, []string{
			"Microphone busy — the other side cannot hear you", "No camera — sending no video", noSpeakerLine}},
		{"camera denied", true, true, false, []error{devErr(devices.KindCamera, devices.ErrPermissionDenied)},
			[]string{"Camera access denied — sending no video"}},
		{"camera failed", true, true, false, []error{devErr(devices.KindCamera, devices.ErrDeviceFailed)},
			[]string{"Camera failed to start — sending no video"}},
		{"reason unknown", false, false, false, nil, []string{"No microphone — the other side cannot hear you"}},
		{"no echo cancellation", false, true, false, []error{fmt.Errorf("%w: refused", devices.ErrNoAudioProcessing)},
			[]string{unprocessedLine}},
	} {
		g := findGaps(c.wantVideo, c.haveMic, c.haveCamera, c.errs)
		if got := g.lines(); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSavedBool(t *testing.T) {
	test.NewTempApp(t)
	p := fyne.CurrentApp().Preferences()
	if v, ok := savedBool(p, "k"); ok || v {
		t.Fatalf("unset key reads as saved %t (%t)", v, ok)
	}
	for _, v := range []bool{false, true} {
		p.SetBool("k", v)
		if got, ok := savedBool(p, "k"); !ok || got != v {
			t.Fatalf("saved %t: read %t, %t", v, got, ok)
		}
	}
	p.RemoveValue("k")
	if _, ok := savedBool(p, "k"); ok {
		t.Fatal("removed key reads as saved")
	}
}
