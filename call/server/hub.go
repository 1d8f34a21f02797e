package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"runtime/debug"
	"time"

	"duet/call/proto"
)

// hub owns all call state. Sessions, timers and the recorder only post
// closures to it; it applies them one at a time on its own goroutine, so
// nothing below needs a lock and every rule ("first accept wins") is a plain
// check.
type hub struct {
	srv   *Server
	cfg   Config
	log   *slog.Logger
	queue chan func()
	done  chan struct{}

	accounts map[string]*accountState // signed-in accounts
	devices  map[deviceKey]*session   // the live session of each signed-in device
	calls    map[string]*callState    // ringing and answered calls by cid
	watchers map[*session]struct{}    // sessions that asked for contacts get presence changes
	// remote are the devices signed in on other nodes of a cluster, by
	// account then device id.
	remote map[string]map[string]*deviceEntry
	// proxies are the stand-in sessions of remote devices the hub has
	// sent to or heard from (clusterroute.go).
	proxies map[deviceKey]*session
	nextUID uint64
	losses  uint64 // numbers the losses of call parties' devices (party.lost)
	stopped bool
}

type deviceKey struct{ account, deviceID string }

type accountState struct {
	sessions map[*session]struct{}
	call     *callState // the account's call, ringing or answered; at most one
	// presence is what was last announced, so only changes are broadcast.
	presence proto.Presence
}

func newHub(s *Server) *hub {
	h := &hub{srv: s, cfg: s.cfg, log: s.log, queue: make(chan func(), 1024), done: make(chan struct{}),
		accounts: map[string]*accountState{}, devices: map[deviceKey]*session{}, calls: map[string]*callState{}, watchers: map[*session]struct{}{},
		remote: map[string]map[string]*deviceEntry{}, proxies: map[deviceKey]*session{}}
	go h.run()
	return h
}

func (h *hub) run() {
	defer close(h.done)
	for f := range h.queue {
		h.apply(f)
		if h.stopped {
			return
		}
	}
}

// apply runs one closure; a bug in one request must not take every call on
// the server down with it.
func (h *hub) apply(f func()) {
	defer func() {
		if r := recover(); r != nil {
			h.log.Error("hub: recovered from panic", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	f()
}

// postFrom runs f for a request of sess, unless sess was replaced or closed
// in the meantime: its connection is going away and must not act.
func (h *hub) postFrom(sess *session, f func()) {
	h.post(func() {
		if h.devices[deviceKey{sess.account, sess.deviceID}] == sess {
			f()
		}
	})
}

// post runs f on the hub's goroutine. It may block briefly when the queue is
// full, which throttles busy connections rather than dropping their requests.
func (h *hub) post(f func()) {
	select {
	case h.queue <- f:
	case <-h.done:
	}
}

// after runs f on the hub's goroutine after d, returning the timer to stop it.
func (h *hub) after(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, func() { h.post(f) })
}

// stop ends the hub's goroutine. A ringing call ends as network lost (its
// invitation cannot outlive the server); an answered call stays open in
// the database for its parties to resume once the server is back, unless
// the database is failing: then its state may never get there, and it
// ends now so that at least its record is queued (and logged if unsaved).
func (h *hub) stop() {
	h.post(func() {
		keepOpen := h.srv.recorder.writable()
		for _, c := range h.calls {
			if !c.answered() || !keepOpen {
				h.endCall(c, proto.ReasonNetworkLost, "")
				continue
			}
			c.stopTimers()
			h.log.Info("call left open for its parties to resume", "cid", c.cid)
		}
		h.stopped = true
	})
	<-h.done
}

func (h *hub) now() int64 { return time.Now().UnixMilli() }

func newCID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// broadcast encodes ev once and sends it to every session in sessions.
func (h *hub) broadcast(sessions map[*session]struct{}, ev proto.Event, except *session) {
	if len(sessions) == 0 {
		return
	}
	b, err := encodeEvent(ev)
	if err != nil {
		h.log.Error("encode event", "type", ev.EventType(), "err", err)
		return
	}
	for sess := range sessions {
		if sess != except {
			sess.send(b)
		}
	}
}

// sendEvent sends ev to one session; a nil session (a device that is
// reconnecting) silently misses it.
func (h *hub) sendEvent(sess *session, ev proto.Event) {
	if sess == nil {
		return
	}
	b, err := encodeEvent(ev)
	if err != nil {
		h.log.Error("encode event", "type", ev.EventType(), "err", err)
		return
	}
	sess.send(b)
}

// toAccount sends ev to every signed-in device of account, here and on
// the other nodes of a cluster.
func (h *hub) toAccount(account string, ev proto.Event, except *session) {
	st, remote := h.accounts[account], h.remote[account]
	if st != nil {
		h.broadcast(st.sessions, ev, except)
	}
	if len(remote) == 0 {
		return
	}
	b, err := encodeEvent(ev)
	if err != nil {
		h.log.Error("encode event", "type", ev.EventType(), "err", err)
		return
	}
	for dev, d := range remote {
		if p := h.proxy(deviceKey{account, dev}, d.ClientType, d.Node); p != except {
			p.send(b)
		}
	}
}

func encodeEvent(ev proto.Event) ([]byte, error) {
	env, err := proto.NewEvent(ev)
	if err != nil {
		return nil, err
	}
	return encode(env)
}
