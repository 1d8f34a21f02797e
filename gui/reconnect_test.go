package gui

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"duet/call/phone"
	"duet/call/proto"
)

func TestReconnectsAfterServerRestart(t *testing.T) {
	r := newRig(t)
	a := r.newApp("alice", "alice-desktop")
	a.signIn()
	r.restart(300 * time.Millisecond)
	a.waitFor("reconnecting shown", func() bool {
		return a.u.conn.state == connReconnecting && strings.Contains(a.u.main.status.Text, "reconnecting")
	})
	a.waitFor("online again", func() bool { return a.u.conn.state == connOnline && strings.Contains(a.u.main.status.Text, "online") })
	a.waitFor("contacts reloaded", func() bool { return a.row("alice") != nil })

	// The new connection works: a call goes through.
	bob := r.dialPhone("bob", "bob-bot")
	a.waitFor("bob listed", func() bool { return a.row("bob") != nil && a.row("bob").presence.Text == "Online" })
	a.tap(func() *widget.Button { return a.row("bob").audio })
	expect[*proto.BeCalling](bob)
	a.tap(func() *widget.Button { return a.u.callView.cancel })
	a.waitFor("back at contacts", func() bool { return a.u.call == nil })
}

// proxy relays TCP to the server and can cut every connection through it:
// a network outage without a server restart.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn // guarded by mu
	wg     sync.WaitGroup
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

// drop cuts every connection made so far.
func (p *proxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) close() {
	p.ln.Close()
	p.drop()
	p.wg.Wait()
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

	px.drop()
	a.waitFor("reconnecting", func() bool { return a.u.conn.state == connReconnecting })
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

// The media of an answered call dies with the signaling connection (the
// phone tears it down); after reconnecting the app ends the call cleanly
// and tells both sides, rather than leave a silent call up.
func TestReconnectEndsAnAnsweredCallItCannotResume(t *testing.T) {
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
	a.waitFor("audio flowing", func() bool { return a.u.call.session.Stats().AudioPackets > 10 })

	px.drop()
	a.waitFor("reconnecting banner", func() bool {
		return a.u.call != nil && a.u.call.reconnecting && a.u.callView.banner.Text == "Connection lost — reconnecting…"
	})
	a.waitFor("call ended after reconnecting", func() bool {
		return a.u.conn.state == connOnline && a.u.call == nil && strings.Contains(a.notice(), "connection dropped")
	})
	h := expect[*proto.HangupEvent](bob)
	if h.CID != be.CID {
		t.Fatalf("bob got the hangup of %s, want %s", h.CID, be.CID)
	}
	expect[*phone.MediaEnded](bob)
	_ = time.Second
}
