package gui

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"duet/call"
	"duet/call/phone"
	"duet/call/proto"
	"duet/call/server"
)

func TestReconnectsAfterServerRestart(t *testing.T) {
	r := newRig(t)
	a := r.newApp("alice", "alice-desktop")
	a.signIn()
	r.stop()
	a.waitFor("reconnecting shown", func() bool {
		return a.u.conn.state == connReconnecting && strings.Contains(a.u.main.status.Text, reconnectingText)
	})
	r.start()
	a.waitFor("online again", func() bool {
		return a.u.conn.state == connOnline && strings.Contains(a.u.main.status.Text, "online") && a.notice() == "Reconnected"
	})
	a.waitFor("contacts reloaded", func() bool { return a.row("alice") != nil })

	// The connection works again: a call goes through.
	bob := r.dialPhone("bob", "bob-bot")
	a.waitFor("bob listed", func() bool { return a.row("bob") != nil && a.row("bob").presence.Text == "Online" })
	a.tap(func() *widget.Button { return a.row("bob").audio })
	expect[*proto.BeCalling](bob)
	a.tap(func() *widget.Button { return a.u.callView.cancel })
	a.waitFor("back at contacts", func() bool { return a.u.call == nil })
}

// A video call outlives a server restart: the call screen stays, says the
// connection is being restored, the peer's picture keeps being drawn and
// the controls keep working; then the call goes on and ends normally.
func TestAnsweredCallSurvivesServerRestart(t *testing.T) {
	r := newRigWith(t, true, func(c *server.Config) { c.ReconnectGrace = 10 * time.Second })
	bob := r.dialPhone("bob", "bob-bot", reconnectFast)
	a := r.newApp("alice", "alice-desktop")
	a.signIn()
	a.waitFor("bob listed", func() bool { return a.row("bob") != nil })
	a.tap(func() *widget.Button { return a.row("bob").video })
	be := expect[*proto.BeCalling](bob)
	if err := bob.Accept(ctxT(t), be.CID, proto.CallTypeVideo); err != nil {
		t.Fatal(err)
	}
	a.waitFor("in call with live video", func() bool {
		return a.inCall() && a.u.call.phase == phaseLive && a.u.callView.remote.Visible()
	})
	var ac *activeCall
	onUI(func() { ac = a.u.call })
	stays := func() bool { return a.u.call == ac && a.inCall() && a.u.callView.remote.Visible() }
	a.framesDrawn("before the restart", framesPerStep, stays)

	r.stop()
	a.waitFor("reconnecting banner", func() bool {
		return stays() && a.u.callView.banner.Text == reconnectingText && a.u.callView.bannerBox.Visible() &&
			strings.Contains(a.u.main.status.Text, reconnectingText)
	})
	a.framesDrawn("while the server is down", framesPerStep, stays)
	a.tap(func() *widget.Button { return a.u.callView.mute }) // local: works offline
	a.waitFor("muted offline", func() bool {
		audio, _ := ac.session.LocalMedia()
		return stays() && !audio && a.u.callView.mute.Text == "Unmute"
	})

	r.start()
	a.waitFor("reconnected", func() bool {
		return stays() && a.u.conn.state == connOnline && strings.Contains(a.u.main.status.Text, "online") &&
			a.u.callView.banner.Text != reconnectingText && a.notice() == "Reconnected"
	})
	a.waitFor("banner cleared", func() bool { return stays() && !a.u.callView.bannerBox.Visible() })
	a.framesDrawn("after the restart", framesPerStep, stays)

	a.tap(func() *widget.Button { return a.u.callView.hangup })
	a.waitFor("back at contacts", func() bool { return a.u.call == nil && a.u.win.Content() == a.u.main.root })
	if h := expect[*proto.HangupEvent](bob); h.CID != be.CID {
		t.Fatalf("bob got the hangup of %s, want %s", h.CID, be.CID)
	}
	onUI(func() { a.u.main.tabs.SelectIndex(1) })
	a.waitFor("a completed record", func() bool {
		rows := a.u.history.model.rows
		return len(rows) == 1 && rows[0].cid == be.CID && rows[0].status == proto.StatusCompleted && rows[0].duration > 0
	})
}

// framesPerStep is how many new pictures prove the video goes on: few, as
// the race detector slows the synthetic camera to a frame or two a second.
const framesPerStep = 5

// framesDrawn waits until the remote video slot holds n more pictures, with
// cond holding throughout, then paints the window and checks that the
// newest picture was drawn, in colour.
func (a *desk) framesDrawn(what string, n uint64, cond func() bool) {
	a.t.Helper()
	var tile *videoTile
	var from, drawn uint64
	onUI(func() {
		tile = a.u.callView.remote
		from, drawn = tile.src.seq(), tile.draws.Load()
	})
	a.waitFor("frames "+what, func() bool {
		if !cond() {
			a.t.Fatalf("the call screen went away %s", what)
		}
		return tile.src.seq() >= from+n
	})
	onUI(func() {
		img := a.w.Canvas().Capture()
		if tile.draws.Load() == drawn || !colourful(img) {
			a.t.Fatalf("no new picture drawn %s", what)
		}
	})
}

// An incoming call cancelled while the connection was cut: once back, the
// ringing dialog closes and the history has the missed call.
func TestRingingCallCancelledWhileCutIsMissed(t *testing.T) {
	r := newRig(t)
	px := r.proxy()
	alice := r.dialPhone("alice", "alice-bot")
	b := r.newApp("bob", "bob-desktop", func(u *ui) { u.signin.server.SetText(px.url()) })
	b.signIn()
	cid, err := alice.Call(ctxT(t), "bob", proto.CallTypeAudio, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b.waitFor("ringing dialog", func() bool { return b.u.ring != nil && b.u.ring.cid == cid })

	px.set(true)
	b.waitFor("still ringing, answer held back", func() bool {
		return b.u.conn.state == connReconnecting && b.u.ring != nil && b.u.ring.notice.Text == reconnectingText &&
			b.u.ring.acceptAudio.Disabled() && b.w.Canvas().Overlays().Top() != nil
	})
	if err := alice.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	expect[*proto.CallRecordEvent](alice)
	px.set(false)
	b.waitFor("dialog closed as missed", func() bool {
		return b.u.conn.state == connOnline && b.u.ring == nil && strings.Contains(b.notice(), "Missed call from alice")
	})
	onUI(func() { b.u.main.tabs.SelectIndex(1) })
	b.waitFor("the missed call in history", func() bool {
		rows := b.u.history.model.rows
		return len(rows) == 1 && rows[0].cid == cid && rows[0].missed()
	})
	b.waitFor("dialog gone", func() bool { return b.w.Canvas().Overlays().Top() == nil })
}

// Declining while the connection is cut closes the dialog at once; the
// caller hears it once the connection is back.
func TestDeclineWhileCutReachesTheCaller(t *testing.T) {
	r := newRig(t)
	px := r.proxy()
	alice := r.dialPhone("alice", "alice-bot")
	b := r.newApp("bob", "bob-desktop", func(u *ui) { u.signin.server.SetText(px.url()) })
	b.signIn()
	cid, err := alice.Call(ctxT(t), "bob", proto.CallTypeAudio, call.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b.waitFor("ringing dialog", func() bool { return b.u.ring != nil && b.u.ring.cid == cid })
	px.set(true)
	b.waitFor("reconnecting", func() bool { return b.u.conn.state == connReconnecting })
	b.tap(func() *widget.Button { return b.u.ring.rejectBtn })
	b.waitFor("dialog closed", func() bool { return b.u.ring == nil })
	px.set(false)
	rej := expect[*proto.CallRejected](alice)
	if rej.CID != cid || rej.Reason != proto.ReasonRejected {
		t.Fatalf("alice got %+v, want call %s rejected", rej, cid)
	}
}

// While the app's connection is cut, a mute reaches the peer once it is
// back, and hanging up ends the call on screen at once and on the server
// once the connection is back.
func TestMuteAndHangupWhileCut(t *testing.T) {
	r := newRig(t)
	px := r.proxy()
	bob := r.dialPhone("bob", "bob-bot")
	a := r.newApp("alice", "alice-desktop", func(u *ui) { u.signin.server.SetText(px.url()) })
	a.signIn()
	a.waitFor("bob listed", func() bool { return a.row("bob") != nil })
	a.tap(func() *widget.Button { return a.row("bob").audio })
	be := expect[*proto.BeCalling](bob)
	if err := bob.Accept(ctxT(t), be.CID, proto.CallTypeAudio); err != nil {
		t.Fatal(err)
	}
	a.waitFor("in call", func() bool { return a.inCall() && a.u.call.phase == phaseLive })
	peerAudio := func() bool {
		audio, _ := bob.Media().PeerMedia()
		return audio
	}
	waitFor(t, "bob seeing alice's microphone on", peerAudio)

	px.set(true)
	a.waitFor("reconnecting banner", func() bool { return a.inCall() && a.u.callView.banner.Text == reconnectingText })
	a.tap(func() *widget.Button { return a.u.callView.mute })
	px.set(false)
	a.waitFor("reconnected", func() bool { return a.inCall() && a.u.conn.state == connOnline })
	waitFor(t, "bob seeing alice muted", func() bool { return !peerAudio() })

	px.set(true)
	a.waitFor("reconnecting banner", func() bool { return a.inCall() && a.u.callView.banner.Text == reconnectingText })
	a.tap(func() *widget.Button { return a.u.callView.hangup })
	a.waitFor("back at contacts", func() bool {
		return a.u.call == nil && strings.HasPrefix(a.notice(), "Call ended")
	})
	px.set(false)
	if h := expect[*proto.HangupEvent](bob); h.CID != be.CID || h.Account != "alice" {
		t.Fatalf("bob got %+v, want alice's hangup of %s", h, be.CID)
	}
	expect[*phone.MediaEnded](bob)
	rec := expect[*proto.CallRecordEvent](bob)
	if rec.Status != proto.StatusCompleted || rec.EndedBy != "alice" {
		t.Fatalf("record %+v, want a completed call ended by alice", rec.CallRecord)
	}
}

// A token revoked while the app was connected: the reconnect is refused
// and the app goes back to the sign-in view with the reason.
func TestRevokedTokenSignsOut(t *testing.T) {
	r := newRigWith(t, false)
	token, err := server.AddAccount(ctxT(t), r.db, "alice")
	if err != nil {
		t.Fatal(err)
	}
	a := r.newApp("alice", "alice-desktop", func(u *ui) { u.signin.token.SetText(token) })
	a.signIn()
	if _, err := r.srv.AddAccount(ctxT(t), "alice"); err != nil { // a new token replaces the app's
		t.Fatal(err)
	}
	r.restart(0)
	a.waitFor("sign-in view with the reason", func() bool {
		return a.u.conn.state == connSignedOut && a.u.win.Content() == a.u.signin.root &&
			strings.Contains(a.u.signin.message.Text, "Wrong account or token")
	})
	onUI(func() {
		if a.u.phone() != nil {
			t.Error("the phone is still there")
		}
	})
}

// A dropped connection comes back with the same device ID, and the server
// hands it the call it was placing.
func TestReconnectResumesARingingCall(t *testing.T) {
	r := newRig(t)
	px := r.proxy()
	bob := r.dialPhone("bob", "bob-bot")
	a := r.newApp("alice", "alice-desktop", func(u *ui) { u.signin.server.SetText(px.url()) })
	a.signIn()
	a.waitFor("bob listed", func() bool { return a.row("bob") != nil })
	a.tap(func() *widget.Button { return a.row("bob").audio })
	be := expect[*proto.BeCalling](bob)
	a.waitFor("ringing", func() bool { return a.u.call != nil && a.u.call.phase == phaseRinging })

	px.set(true)
	a.waitFor("reconnecting", func() bool {
		return a.u.conn.state == connReconnecting && a.u.callView.outStatus.Text == "Reconnecting…"
	})
	px.set(false)
	a.waitFor("online again", func() bool { return a.u.conn.state == connOnline })
	onUI(func() {
		if a.u.call == nil || a.u.call.cid != be.CID || a.u.call.phase != phaseRinging {
			t.Fatalf("after reconnecting the call screen shows %+v", a.u.call)
		}
	})
	if err := bob.Accept(ctxT(t), be.CID, proto.CallTypeAudio); err != nil {
		t.Fatal(err)
	}
	a.waitFor("in call", func() bool { return a.inCall() && a.u.call.phase == phaseLive })
	a.waitFor("audio flowing", func() bool { return a.u.call.session.Stats().AudioPackets > 10 })
	bob.Hangup(ctxT(t))
	a.waitFor("back at contacts", func() bool { return a.u.call == nil && strings.Contains(a.notice(), "bob hung up") })
}

// proxy relays TCP to the server and can cut the network: every connection
// through it is reset and new ones are refused until it is restored. (The
// call packages use call/internal/netfault, which gui cannot import.)
type proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn // guarded by mu
	cut    bool       // guarded by mu
}

func (r *rig) proxy() *proxy {
	p := &proxy{ln: mustListen(r.t), target: r.addr}
	p.wg.Add(1)
	go p.accept()
	r.t.Cleanup(p.close)
	return p
}

func (p *proxy) url() string { return "ws://" + p.ln.Addr().String() + "/ws" }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, s)
		go p.pipe(s, c)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// set cuts the network (resetting every connection) or restores it.
func (p *proxy) set(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.set(true)
	p.wg.Wait()
}

// An app that quit or crashed mid-call comes back with the same device ID:
// the server still holds the call, whose media died with the old run. The
// app hangs it up rather than leaving the account busy.
func TestCallLeftOpenByAnEarlierRunIsEnded(t *testing.T) {
	r := newRig(t)
	bob := r.dialPhone("bob", "bob-bot")
	earlier := r.dialPhone("alice", "alice-desktop")
	cid, err := earlier.Call(ctxT(t), "bob", proto.CallTypeAudio, callOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	expect[*proto.BeCalling](bob)
	if err := bob.Accept(ctxT(t), cid, proto.CallTypeAudio); err != nil {
		t.Fatal(err)
	}
	expect[*phone.MediaStarted](earlier)
	earlier.Client().Close() // the earlier run is gone; the server holds the call

	a := r.newApp("alice", "alice-desktop")
	a.signIn()
	hu := expect[*proto.HangupEvent](bob)
	if hu.CID != cid || hu.Account != "alice" || hu.Reason != proto.ReasonHangup {
		t.Fatalf("bob got %+v, want alice's hangup of %s", hu, cid)
	}
	a.waitFor("the notice", func() bool { return strings.Contains(a.notice(), "left open when Duet last stopped") })
	onUI(func() {
		if a.u.call != nil {
			t.Error("a call screen for the stale call")
		}
	})
}

// Another instance signing in as this device takes the connection over:
// the app does not reconnect (which would take the device back) and says
// why on the sign-in view.
func TestReplacedDeviceStopsAndSaysSo(t *testing.T) {
	r := newRig(t)
	a := r.newApp("alice", "alice-desktop")
	a.signIn()
	other := r.dialPhone("alice", "alice-desktop")
	a.waitFor("signed out, saying why", func() bool {
		return a.u.conn.state == connSignedOut && a.u.win.Content() == a.u.signin.root &&
			strings.HasPrefix(a.u.signin.message.Text, replacedText)
	})
	// reconnectFast would have redialled within half a second.
	quiet := time.After(time.Second)
	for done := false; !done; {
		select {
		case ev := <-other.events:
			switch ev.(type) {
			case *call.Disconnected, *call.Reconnecting:
				t.Fatalf("the newer instance lost the device: %T", ev)
			}
		case <-quiet:
			done = true
		}
	}
	if !other.Client().Connected() {
		t.Fatal("the newer instance is not connected")
	}
	a.waitFor("still signed out", func() bool { return a.u.conn.state == connSignedOut })
}
