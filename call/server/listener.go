package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"duet/call/proto"
)

// ListenerConfig is the sign-in policy of one extra listener.
type ListenerConfig struct {
	// RequireToken refuses sign-ins without the account's token even when
	// the server is open: an open server on loopback can then also be
	// reached from the network without letting anyone sign in as anyone.
	RequireToken bool
	// TURN, if set, runs a relay for the clients that sign in here,
	// reachable where they are: the server's own relay may be on an
	// address they cannot reach, such as loopback.
	TURN *TURNConfig
}

// Listener is an extra address the server answers on, with its own sign-in
// policy, opened by ServeListener. Its methods are safe for concurrent use.
type Listener struct {
	srv    *Server
	cfg    ListenerConfig
	addr   net.Addr
	hs     *http.Server
	served chan struct{}  // closed when hs.Serve has returned
	conns  sync.WaitGroup // one per connection that came in here

	turn *turnRelay // nil without cfg.TURN

	closed    bool // guarded by srv.mu: no new connections; set once
	once      sync.Once
	relayOnce sync.Once
}

// ServeListener serves ln, in a goroutine of its own, with cfg's sign-in
// policy, next to what Serve serves; every account and call is shared. It
// stops at l.Close or Server.Close, which also closes ln.
func (s *Server) ServeListener(ln net.Listener, cfg ListenerConfig) (*Listener, error) {
	l := &Listener{srv: s, cfg: cfg, addr: ln.Addr(), served: make(chan struct{})}
	if cfg.TURN != nil {
		relay, err := newTURN(*cfg.TURN, s.store, s.log.With("listener", l.addr.String()))
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("serve listener: %w", err)
		}
		l.turn = relay
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) { s.serveWSVia(w, r, l) })
	mux.HandleFunc("/healthz", s.healthz)
	l.hs = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	s.mu.Lock()
	select {
	case <-s.closing:
		s.mu.Unlock()
		ln.Close()
		l.closeRelay()
		return nil, errors.New("serve listener: the server is closed")
	default:
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	go func() {
		defer close(l.served)
		if err := l.hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("extra listener stopped", "addr", l.addr, "err", err)
		}
	}()
	s.log.Info("serving an extra listener", "addr", l.addr, "requireToken", cfg.RequireToken, "turn", l.turn != nil)
	return l, nil
}

// Addr is where the listener listens.
func (l *Listener) Addr() net.Addr { return l.addr }

// open reports whether sess may sign in without a token.
func (sess *session) open() bool {
	return sess.srv.cfg.Open && (sess.via == nil || !sess.via.cfg.RequireToken)
}

// Close stops listening and disconnects the clients that came in here.
// Their calls end first, as network lost, and each client is told so
// before its connection closes; Close returns once they are gone. Calls
// and clients of the server's other listeners go on.
func (l *Listener) Close() error {
	l.once.Do(func() {
		s := l.srv
		l.shutdown()
		s.mu.Lock()
		l.closed = true
		delete(s.listeners, l)
		var mine []*session
		for sess := range s.sessions {
			if sess.via == l {
				mine = append(mine, sess)
			}
		}
		s.mu.Unlock()
		done := make(chan struct{})
		s.hub.post(func() {
			defer close(done)
			s.hub.dropListener(mine)
		})
		select {
		case <-done:
		case <-s.hub.done: // the server is closing: it disconnects everyone
		}
		l.conns.Wait()
		l.closeRelay()
		s.log.Info("stopped serving an extra listener", "addr", l.addr, "clients", len(mine))
	})
	return nil
}

// closeRelay stops the listener's TURN relay, if it has one, once its
// clients are gone.
func (l *Listener) closeRelay() {
	l.relayOnce.Do(func() {
		if l.turn == nil {
			return
		}
		if err := l.turn.close(); err != nil {
			l.srv.log.Warn("close a listener's relay", "addr", l.addr, "err", err)
		}
	})
}

// shutdown stops accepting connections; the websocket connections already
// taken over are left to Close.
func (l *Listener) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	l.hs.Shutdown(ctx)
	cancel()
	<-l.served
}

// stopListeners stops accepting on every extra listener and returns them;
// Close then disconnects their clients with everyone else's.
func (s *Server) stopListeners() []*Listener {
	s.mu.Lock()
	ls := make([]*Listener, 0, len(s.listeners))
	for l := range s.listeners {
		l.closed = true
		ls = append(ls, l)
	}
	s.mu.Unlock()
	for _, l := range ls {
		l.shutdown()
	}
	return ls
}

// dropListener ends the calls of the sessions of a closed listener and
// closes those sessions once their last events are written.
func (h *hub) dropListener(sessions []*session) {
	for _, sess := range sessions {
		if sess.state.Load() == signedIn && h.devices[deviceKey{sess.account, sess.deviceID}] == sess {
			if st := h.accounts[sess.account]; st != nil && st.call != nil && st.call.hasDevice(sess) {
				h.endCall(st.call, proto.ReasonNetworkLost, "")
			}
		}
		sess.closeAfterQueued()
	}
}
