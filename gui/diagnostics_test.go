package gui

import (
	"runtime"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"duet/call/proto"
)

// Copy diagnostics from Settings puts the report on the clipboard and says
// so; in a call, the shortcut does the same with the call's figures.
func TestCopyDiagnostics(t *testing.T) {
	r := newRig(t)
	token, err := r.srv.AddAccount(ctxT(t), "alice")
	if err != nil {
		t.Fatal(err)
	}
	logPath := writeLog(t, 80)
	a := r.newApp("alice", "alice-desktop", func(u *ui) {
		u.cfg.LogPath, u.cfg.Version = logPath, "9.8.7"
		u.signin.token.SetText(token)
	})
	bob := r.dialPhone("bob", "bob-bot")
	a.signIn()
	fyne.CurrentApp().Clipboard().SetContent("")

	onUI(func() { a.u.main.tabs.SelectIndex(2) })
	a.tap(func() *widget.Button { return a.u.setView.actions.diagBtn })
	a.waitFor("report copied and confirmed", func() bool {
		return strings.Contains(clipboard(), "Duet diagnostics") && strings.Contains(a.notice(), "Diagnostics copied")
	})
	report := clipboard()
	for _, want := range []string{
		"App:       Duet 9.8.7",
		"System:    " + runtime.GOOS + "/" + runtime.GOARCH + ", " + runtime.Version(),
		"Server:    " + r.url + " (remote server)",
		"Account:   alice, online",
		"Devices found:", "Cameras:", "Microphones:", "Speakers:",
		"Sources:     synthetic test pattern and tone",
		"Call:      none",
		"Log (last 50 lines of " + logPath + "):",
		`msg="line 31"`, `msg="line 80"`,
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, `msg="line 30"`) || strings.Contains(report, token) {
		t.Errorf("report has more than the log's tail, or the token:\n%s", report)
	}

	// In a call: the shortcut, the call and its figures.
	a.waitFor("bob listed", func() bool { return a.row("bob") != nil })
	a.tap(func() *widget.Button { return a.row("bob").video })
	be := expect[*proto.BeCalling](bob)
	if err := bob.Accept(ctxT(t), be.CID, proto.CallTypeVideo); err != nil {
		t.Fatal(err)
	}
	a.waitFor("live call with figures", func() bool {
		return a.inCall() && a.u.call.phase == phaseLive && a.u.call.stats.FPS > 0
	})
	fyne.CurrentApp().Clipboard().SetContent("")
	onUI(func() { a.w.Canvas().(fyne.Shortcutable).TypedShortcut(ctrlShift(fyne.KeyD)) })
	a.waitFor("report copied in the call", func() bool {
		return strings.Contains(clipboard(), "Duet diagnostics") && a.u.confirmPopUp != nil && a.u.confirmPopUp.Visible()
	})
	report = clipboard()
	for _, want := range []string{
		"Call:      outgoing video call with bob, live, up ",
		"cid " + be.CID,
		"Media:     connected",
		"Stats:     640x480 @ ",
		"frames decoded",
		"audio: ",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("in-call report lacks %q:\n%s", want, report)
		}
	}
	a.tap(func() *widget.Button { return a.u.callView.hangup })
	a.waitFor("back at contacts", func() bool { return a.u.call == nil })
}
