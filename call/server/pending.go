package server

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"duet/call/proto"
)

// A connection that has not signed in costs the server two goroutines and
// buffers while proving nothing, so such connections are few and short:
// at most MaxPendingPerIP per remote address and MaxPending overall, each
// closed after LoginTimeout.

// pendingGate counts the connections that have not signed in yet. Safe
// for concurrent use.
type pendingGate struct {
	maxPerIP, maxTotal int

	mu    sync.Mutex
	perIP map[string]int // guarded by mu
	total int            // guarded by mu
}

func newPendingGate(maxPerIP, maxTotal int) *pendingGate {
	return &pendingGate{maxPerIP: maxPerIP, maxTotal: maxTotal, perIP: map[string]int{}}
}

// enter takes a place for a connection from ip, or returns the HTTP status
// and message to refuse it with. leave gives the place back; it may be
// called more than once.
func (g *pendingGate) enter(ip string) (leave func(), status int, msg string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.perIP[ip] >= g.maxPerIP:
		return nil, http.StatusTooManyRequests,
			fmt.Sprintf("too many connections from %s have not signed in yet; sign in on them or close them, then retry", ip)
	case g.total >= g.maxTotal:
		return nil, http.StatusServiceUnavailable, "too many connections are waiting to sign in; try again shortly"
	}
	g.perIP[ip]++
	g.total++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.perIP[ip]--; g.perIP[ip] <= 0 {
				delete(g.perIP, ip)
			}
			g.total--
		})
	}, 0, ""
}

// enterPending admits a new connection from r among those not signed in,
// or answers it with 429 or 503.
func (s *Server) enterPending(w http.ResponseWriter, r *http.Request) (leave func(), ok bool) {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	leave, status, msg := s.pending.enter(ip)
	if leave == nil {
		s.log.Warn("refused connection", "remote", r.RemoteAddr, "status", status, "reason", msg)
		w.Header().Set("Retry-After", "5")
		http.Error(w, msg, status)
		return nil, false
	}
	return leave, true
}

// signedIn marks the session as past sign-in: it no longer counts against
// the pending limits.
func (sess *session) signedIn() {
	if sess.leavePending != nil {
		sess.leavePending()
	}
}

// loginDeadline closes the session if it has not signed in within the
// server's LoginTimeout; the returned func stops the timer.
func (sess *session) loginDeadline() (stop func()) {
	d := sess.srv.cfg.LoginTimeout
	t := time.AfterFunc(d, func() {
		if sess.state.Load() != signedIn {
			sess.logger().Info("closing connection that did not sign in", "after", d)
			sess.closeWith(proto.ClosePolicyViolation, "not signed in within "+d.String())
		}
	})
	return func() { t.Stop() }
}
