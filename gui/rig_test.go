package gui

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"duet/call"
	"duet/call/leaktest"
	"duet/call/phone"
	"duet/call/proto"
	"duet/call/server"
	"duet/devices"
)

const testTimeout = 30 * time.Second

var logFlag = flag.Bool("gui.log", false, "log the app, clients and server to stderr")

func testLogger() *slog.Logger {
	if *logFlag {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// rig is a real signaling server on loopback, a Fyne test app, and the
// app's windows and plain phones the test drives.
type rig struct {
	t    *testing.T
	url  string
	addr string
	db   string
	srv  *server.Server
	open bool
	tune []func(*server.Config)
}

func newRig(t *testing.T) *rig { return newRigWith(t, true) }

// newRigWith starts a server that is open or not, its config adjusted by tune.
func newRigWith(t *testing.T, open bool, tune ...func(*server.Config)) *rig {
	t.Helper()
	leaktest.Check(t)
	test.NewTempApp(t)
	r := &rig{t: t, db: filepath.Join(t.TempDir(), "duet.db"), open: open, tune: tune}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.url = "ws://" + r.addr + "/ws"
	r.serve(ln)
	t.Cleanup(r.stop)
	return r
}

func (r *rig) stop() {
	r.srv.Close()
}

func (r *rig) serve(ln net.Listener) {
	r.t.Helper()
	cfg := server.Config{DB: r.db, Open: r.open, Logger: testLogger()}
	for _, f := range r.tune {
		f(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	r.srv = srv
	go srv.Serve(ln)
}

// start runs a new server on the stopped one's address and database, as
// after a crash or an upgrade.
func (r *rig) start() {
	r.t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.serve(ln)
}

// restart stops the server (every client loses its connection) and starts
// it again on the same address after pause.
func (r *rig) restart(pause time.Duration) {
	r.t.Helper()
	r.stop()
	time.Sleep(pause)
	r.start()
}

// reconnectFast makes a client redial a lost connection within half a
// second: tests need not wait the defaults out. (The tests break
// connections outright, so pings keep their defaults: short ones would
// time out on a loaded machine and drop healthy connections.)
func reconnectFast(c *call.Config) {
	c.Reconnect = true
	c.ReconnectMin, c.ReconnectMax = 50*time.Millisecond, 500*time.Millisecond
}

// uiThread is the test's stand-in for Fyne's main loop: one goroutine that
// runs posted functions in order. (The test driver's fyne.Do runs a function
// on the caller's goroutine, which would let a function post to itself.)
type uiThread struct {
	mu   sync.Mutex
	q    []func() // guarded by mu
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newUIThread(t *testing.T) *uiThread {
	th := &uiThread{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go th.run()
	t.Cleanup(func() {
		close(th.stop)
		<-th.done
	})
	return th
}

func (th *uiThread) post(f func()) {
	th.mu.Lock()
	th.q = append(th.q, f)
	th.mu.Unlock()
	select {
	case th.wake <- struct{}{}:
	default:
	}
}

func (th *uiThread) run() {
	defer close(th.done)
	for {
		select {
		case <-th.stop:
			return
		case <-th.wake:
		}
		for {
			th.mu.Lock()
			q := th.q
			th.q = nil
			th.mu.Unlock()
			if len(q) == 0 {
				break
			}
			for _, f := range q {
				f()
			}
		}
	}
}

// onUI runs f as the UI thread would.
func onUI(f func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	f()
}

// desk is one instance of the desktop app in a test window.
type desk struct {
	t *testing.T
	u *ui
	w fyne.Window
}

// newApp opens the app for account (empty: the form is left for the test to
// fill in) as device.
func (r *rig) newApp(account, device string, tweak ...func(*ui)) *desk {
	r.t.Helper()
	th := newUIThread(r.t)
	a := &desk{t: r.t}
	onUI(func() {
		a.w = test.NewTempWindow(r.t, widget.NewLabel(""))
		a.w.Resize(fyne.NewSize(980, 680))
		a.u = newUI(fyne.CurrentApp(), a.w, Config{ServerURL: r.url, Account: account, Synthetic: true,
			LoopbackOnly: true, DeviceID: device, Logger: testLogger()}, th.post)
		a.u.tuneClient = reconnectFast
		for _, f := range tweak {
			f(a.u)
		}
	})
	r.t.Cleanup(a.u.shutdown)
	return a
}

// signIn taps Sign in and waits for the contacts.
func (a *desk) signIn() {
	a.t.Helper()
	a.tap(func() *widget.Button { return a.u.signin.button })
	a.waitFor("signed in", func() bool { return a.u.conn.state == connOnline && a.u.win.Content() == a.u.main.root })
}

// tap taps the button get returns, on the UI thread.
func (a *desk) tap(get func() *widget.Button) {
	a.t.Helper()
	onUI(func() {
		b := get()
		if b == nil || b.Disabled() || !b.Visible() {
			a.t.Fatalf("button %v is not there to tap", b)
		}
		test.Tap(b)
	})
}

// waitFor polls cond on the UI thread until it holds.
func (a *desk) waitFor(what string, cond func() bool) {
	a.t.Helper()
	waitFor(a.t, what, func() (ok bool) {
		onUI(func() { ok = cond() })
		return ok
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", testTimeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// row is the rendered contacts row of account; call on the UI thread.
func (a *desk) row(account string) *contactRow {
	for _, o := range test.LaidOutObjects(a.u.contacts.list) {
		if r, ok := o.(*contactRow); ok && r.contact.Account == account && r.Visible() {
			return r
		}
	}
	return nil
}

func (a *desk) notice() string {
	if !a.u.main.noticeBg.Visible() {
		return ""
	}
	return a.u.main.notice.Text
}

// inCall reports whether the in-call panel shows.
func (a *desk) inCall() bool {
	return a.u.call != nil && a.u.callView != nil && a.u.win.Content() == a.u.callView.root &&
		a.u.callView.inCall.Visible()
}

// dialPhone signs a plain phone (a bot, another device) in.
func (r *rig) dialPhone(account, device string, tune ...func(*call.Config)) *testPhone {
	r.t.Helper()
	return r.dialPhoneWithToken(account, device, "", tune...)
}

// dialPhoneWithToken signs a plain phone in with a token.
func (r *rig) dialPhoneWithToken(account, device, token string, tune ...func(*call.Config)) *testPhone {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cfg := call.Config{ServerURL: r.url, Account: account, Token: token, ClientType: proto.ClientBot,
		DeviceID: device, Logger: testLogger()}
	for _, f := range tune {
		f(&cfg)
	}
	c, err := call.Dial(ctx, cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	p := &testPhone{t: r.t, events: make(chan call.Event, 256)}
	p.Phone = phone.New(phone.Config{Client: c, LoopbackOnly: true, Logger: testLogger(),
		OpenCapture: func(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
			return devices.Open(ctx, devices.CaptureConfig{Synthetic: true, Audio: true, Video: typ == proto.CallTypeVideo})
		}})
	go func() {
		for ev := range p.Phone.Events() {
			p.events <- ev
		}
		close(p.events)
	}()
	r.t.Cleanup(func() { p.Close() })
	return p
}

type testPhone struct {
	*phone.Phone
	t      *testing.T
	events chan call.Event
}

// expect returns the phone's next event of type T, skipping others.
func expect[T call.Event](p *testPhone) T {
	p.t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				var zero T
				p.t.Fatalf("events closed while waiting for %T", zero)
			}
			if got, ok := ev.(T); ok {
				return got
			}
		case <-timer.C:
			var zero T
			p.t.Fatalf("no %T within %s", zero, testTimeout)
		}
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// aliceAndBob signs bob and then alice in, and waits until alice sees bob
// online: the start of every two-person call test. opts adjust alice's app.
func (r *rig) aliceAndBob(opts ...func(*ui)) (alice, bob *desk) {
	bob = r.newApp("bob", "bob-desktop")
	bob.signIn()
	alice = r.newApp("alice", "alice-desktop", opts...)
	alice.signIn()
	alice.waitFor("bob online", func() bool { return alice.row("bob") != nil && alice.row("bob").presence.Text == "Online" })
	return alice, bob
}

// callDesk has a call b with typ from its contact row, b answer with the
// same type, and waits until both see the call live: a first video frame
// for a video call.
func (a *desk) callDesk(b *desk, typ proto.CallType) {
	a.t.Helper()
	account := b.u.cfg.Account
	a.waitFor(account+" listed", func() bool { return a.row(account) != nil })
	if typ == proto.CallTypeVideo {
		a.tap(func() *widget.Button { return a.row(account).video })
	} else {
		a.tap(func() *widget.Button { return a.row(account).audio })
	}
	b.waitFor("ringing dialog", func() bool { return b.u.ring != nil })
	if typ == proto.CallTypeVideo {
		b.tap(func() *widget.Button { return b.u.ring.acceptVideo })
	} else {
		b.tap(func() *widget.Button { return b.u.ring.acceptAudio })
	}
	for _, d := range []*desk{a, b} {
		d.waitFor("the call live", func() bool {
			return d.inCall() && d.u.call.phase == phaseLive && (typ != proto.CallTypeVideo || d.u.call.firstFrame)
		})
	}
}

// answerCallFrom has caller call a with typ, accepts it on a and waits
// until the call's media flows: video frames, or audio packets.
func (a *desk) answerCallFrom(caller *testPhone, typ proto.CallType) {
	a.t.Helper()
	if _, err := caller.Call(ctxT(a.t), a.u.cfg.Account, typ, callOpts("")); err != nil {
		a.t.Fatal(err)
	}
	a.waitFor("ringing dialog", func() bool { return a.u.ring != nil })
	if typ == proto.CallTypeVideo {
		a.tap(func() *widget.Button { return a.u.ring.acceptVideo })
	} else {
		a.tap(func() *widget.Button { return a.u.ring.acceptAudio })
	}
	a.waitFor("media flowing", func() bool {
		if !a.inCall() || a.u.call.session == nil {
			return false
		}
		st := a.u.call.session.Stats()
		return (typ == proto.CallTypeVideo && st.FramesDecoded > 10) || (typ == proto.CallTypeAudio && st.AudioPackets > 10)
	})
}
