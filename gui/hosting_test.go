package gui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"duet/call"
	"duet/call/leaktest"
	"duet/call/local"
	"duet/call/proto"
)

// loopbackHost is the real built-in server, hosted on a free loopback port
// instead of the LAN address, so the test runs the same on a machine
// without a network.
type loopbackHost struct{ *local.Local }

func (h loopbackHost) HostLAN() (string, error) { return h.Host("127.0.0.1:0") }

// startLocal starts the built-in server for a test.
func startLocal(t *testing.T) *local.Local {
	t.Helper()
	l, err := local.Start(local.Config{Dir: t.TempDir(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// openApp opens the app with cfg in a test window.
func openApp(t *testing.T, cfg Config) *desk {
	t.Helper()
	th := newUIThread(t)
	a := &desk{t: t}
	cfg.Synthetic, cfg.LoopbackOnly, cfg.Logger = true, true, testLogger()
	onUI(func() {
		a.w = test.NewTempWindow(t, widget.NewLabel(""))
		a.w.Resize(fyne.NewSize(980, 680))
		a.u = newUI(fyne.CurrentApp(), a.w, cfg, th.post)
	})
	t.Cleanup(a.u.shutdown)
	return a
}

func clipboard() string { return fyne.CurrentApp().Clipboard().Content() }

// The whole hosting flow through the app's widgets, on the real built-in
// server: host, copy the address, invite a guest, the guest signs in with
// the token (and not without), calls the host, who rings; stop hosting
// disconnects the guest.
func TestHostAServerOnThisComputer(t *testing.T) {
	leaktest.Check(t)
	test.NewTempApp(t)
	l := startLocal(t)
	a := openApp(t, Config{ServerURL: l.URL(), Account: "host", AutoSignIn: true, Host: loopbackHost{l},
		DeviceID: "host-desktop"})
	a.waitFor("signed in", func() bool { return a.u.conn.state == connOnline })
	onUI(func() { a.u.main.tabs.SelectIndex(2) })
	a.waitFor("host action ready", func() bool {
		act := a.u.setView.actions
		return !act.hostBtn.Disabled() && !act.hostWhy.Visible() && !act.stopBtn.Visible() && !a.u.main.hosting.Visible()
	})

	a.tap(func() *widget.Button { return a.u.setView.actions.hostBtn })
	a.waitFor("hosting dialog", func() bool {
		return a.u.host.url != "" && a.u.host.dlg != nil && a.w.Canvas().Overlays().Top() != nil
	})
	var lanURL string
	onUI(func() {
		lanURL = a.u.host.url
		if !strings.HasPrefix(lanURL, "ws://127.0.0.1:") || lanURL == l.URL() {
			t.Errorf("hosting at %q", lanURL)
		}
		if !a.u.main.hosting.Visible() || !strings.Contains(a.u.main.hosting.Text, hostOf(lanURL)) {
			t.Errorf("header badge %q visible=%v", a.u.main.hosting.Text, a.u.main.hosting.Visible())
		}
		if a.u.loopbackOnly() {
			t.Error("calls stay on loopback ICE while hosting")
		}
	})
	a.tap(func() *widget.Button { return a.u.host.dlg.copyURL })
	if got := clipboard(); got != lanURL {
		t.Fatalf("copied %q, want %q", got, lanURL)
	}

	// Bad names are explained in the dialog.
	for _, tc := range []struct{ name, want string }{
		{"host", "your own account"},
		{"bad name!", "letters, digits"},
		{local.EchoAccount, "already used"},
	} {
		onUI(func() { a.u.host.dlg.name.SetText(tc.name) })
		a.tap(func() *widget.Button { return a.u.host.dlg.inviteBtn })
		a.waitFor("error for "+tc.name, func() bool {
			d := a.u.host.dlg
			return d.inviteMsg.Visible() && strings.Contains(d.inviteMsg.Text, tc.want) && !d.invitation.Visible()
		})
	}

	onUI(func() { a.u.host.dlg.name.SetText("guest") })
	a.tap(func() *widget.Button { return a.u.host.dlg.inviteBtn })
	a.waitFor("invitation", func() bool { return a.u.host.dlg.invitation.Visible() })
	var token string
	onUI(func() { token = a.u.host.dlg.invToken.Text })
	a.tap(func() *widget.Button { return a.u.host.dlg.copyInv })
	inv := clipboard()
	for _, want := range []string{lanURL, "Account: guest", "Token:   " + token, "--token " + token} {
		if !strings.Contains(inv, want) {
			t.Fatalf("invitation %q lacks %q", inv, want)
		}
	}

	// A guest on the LAN address: no token, no entry; the invitation works.
	r := &rig{t: t, url: lanURL}
	if _, err := call.Dial(ctxT(t), call.Config{ServerURL: lanURL, Account: "guest", ClientType: proto.ClientBot}); !errors.Is(err, call.ErrUnauthorized) {
		t.Fatalf("guest without a token: %v", err)
	}
	if _, err := call.Dial(ctxT(t), call.Config{ServerURL: lanURL, Account: "host", ClientType: proto.ClientBot}); !errors.Is(err, call.ErrUnauthorized) {
		t.Fatalf("signing in as the host from the LAN: %v", err)
	}
	guest := r.dialPhoneWithToken("guest", "guest-laptop", token)
	if _, err := guest.Call(ctxT(t), "host", proto.CallTypeAudio, call.CallOptions{}); err != nil {
		t.Fatalf("guest calls the host: %v", err)
	}
	a.waitFor("host rings", func() bool { return a.u.ring != nil && a.u.ring.caller == "guest" })
	a.tap(func() *widget.Button { return a.u.ring.rejectBtn })
	if rej := expect[*proto.CallRejected](guest); rej.Reason != proto.ReasonRejected {
		t.Fatalf("guest's call ended with %v", rej.Reason)
	}

	// Stop hosting from Settings; the dialog reopens from the header badge.
	a.tap(func() *widget.Button { return a.u.main.hosting })
	a.waitFor("dialog again", func() bool { return a.u.host.dlg != nil })
	a.tap(func() *widget.Button { return a.u.host.dlg.stopBtn })
	a.waitFor("stopped", func() bool {
		return a.u.host.url == "" && !a.u.main.hosting.Visible() && !a.u.setView.actions.stopBtn.Visible() &&
			a.u.host.dlg == nil && strings.Contains(a.notice(), "Stopped hosting")
	})
	expect[*call.Disconnected](guest)
	onUI(func() {
		if !a.u.loopbackOnly() {
			t.Error("calls still gather LAN candidates after hosting stopped")
		}
	})
	if a.u.conn.state != connOnline {
		t.Fatal("the host was signed out")
	}
}

// Signed in to another server, the action is off and says why.
func TestHostingNeedsTheBuiltInServer(t *testing.T) {
	r := newRig(t)
	l := startLocal(t)
	a := r.newApp("alice", "alice-desktop", func(u *ui) { u.cfg.Host = loopbackHost{l} })
	a.signIn()
	a.waitFor("explained", func() bool {
		act := a.u.setView.actions
		return act.hostBtn.Disabled() && act.hostWhy.Visible() &&
			strings.Contains(act.hostWhy.Text, "signed in to "+r.addr) && strings.Contains(act.hostWhy.Text, l.URL())
	})
	onUI(func() { test.Tap(a.u.setView.actions.hostBtn) })
	onUI(func() {
		if a.u.host.busy || a.u.host.url != "" {
			t.Error("hosting started from a disabled button")
		}
	})

	b := r.newApp("bob", "bob-desktop")
	b.signIn()
	b.waitFor("explained", func() bool {
		act := b.u.setView.actions
		return act.hostBtn.Disabled() && strings.Contains(act.hostWhy.Text, "--server")
	})
}

// noLAN is a built-in server on a computer without a network.
type noLAN struct{ loopbackHost }

func (noLAN) HostLAN() (string, error) { return "", fmt.Errorf("find LAN address: %w", local.ErrNoLAN) }

// Without a network, hosting says so and nothing changes.
func TestHostingWithoutANetwork(t *testing.T) {
	leaktest.Check(t)
	test.NewTempApp(t)
	l := startLocal(t)
	a := openApp(t, Config{ServerURL: l.URL(), Account: "host", AutoSignIn: true, Host: noLAN{loopbackHost{l}}})
	a.waitFor("signed in", func() bool { return a.u.conn.state == connOnline })
	a.tap(func() *widget.Button { return a.u.setView.actions.hostBtn })
	a.waitFor("explained", func() bool {
		top := a.w.Canvas().Overlays().Top()
		if top == nil {
			return false
		}
		for _, o := range test.LaidOutObjects(top) {
			if lbl, ok := o.(*widget.Label); ok && strings.Contains(lbl.Text, "not connected to a network") {
				return true
			}
		}
		return false
	})
	onUI(func() {
		if a.u.host.url != "" || a.u.host.busy || a.u.main.hosting.Visible() || a.u.setView.actions.hostBtn.Disabled() {
			t.Error("state changed after hosting failed")
		}
	})
}
