package server

import (
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"duet/call/proto"
)

// A node cut off from NATS fences itself (docs/cluster.md): once the link
// has been down for half its key's TTL, the others are about to take it
// for dead, so it closes every client with 1012 and refuses new ones until
// the link is back. Its clients reconnect, through the load balancer, to
// nodes that still see the cluster.

// watchLink has the NATS connection report its losses and returns.
func (c *cluster) watchLink() {
	c.nc.SetDisconnectErrHandler(func(_ *nats.Conn, err error) { c.linkLost(err) })
	c.nc.SetReconnectHandler(func(*nats.Conn) { c.linkBack() })
}

func (c *cluster) linkLost(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.fenceTimer != nil {
		return
	}
	c.log.Warn("cluster: lost NATS", "err", err, "fencing in", c.cfg.NodeTTL/2)
	c.fenceTimer = time.AfterFunc(c.cfg.NodeTTL/2, c.fence)
}

func (c *cluster) linkBack() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range []**time.Timer{&c.fenceTimer, &c.abandonTimer} {
		if *t != nil {
			(*t).Stop()
			*t = nil
		}
	}
	if c.fenced.Load() {
		c.fenced.Store(false)
		c.log.Info("cluster: NATS is back; taking clients again")
	}
}

// fence runs when the link stayed down for half the TTL.
func (c *cluster) fence() {
	c.mu.Lock()
	if c.closed || c.fenceTimer == nil { // back meanwhile
		c.mu.Unlock()
		return
	}
	c.fenced.Store(true)
	// By a TTL after the loss, this node's key has expired for the others,
	// who take its calls over.
	c.abandonTimer = time.AfterFunc(c.cfg.NodeTTL-c.cfg.NodeTTL/2, c.abandon)
	c.mu.Unlock()
	c.log.Warn("cluster: cut off from NATS; closing every client so that they move to another node")
	c.onFence()
}

func (c *cluster) abandon() {
	c.mu.Lock()
	still := !c.closed && c.abandonTimer != nil
	c.mu.Unlock()
	if still {
		c.hub.post(c.hub.abandonCalls)
	}
}

// abandonCalls forgets every call without ending it: the nodes that still
// see the cluster take them over, end them and write their records. Runs
// on the hub.
func (h *hub) abandonCalls() {
	for _, c := range h.calls {
		c.stopTimers()
		delete(h.calls, c.cid)
		for _, acc := range []string{c.caller, c.callee} {
			if st := h.accounts[acc]; st != nil && st.call == c {
				st.call = nil
			}
			h.updatePresence(acc)
		}
		h.log.Info("cluster: leaving a call to the nodes that take it over", "cid", c.cid)
	}
}

// fenceSessions closes every connection with 1012.
func (s *Server) fenceSessions() {
	for _, sess := range s.openSessions() {
		sess.closeWith(proto.CloseServiceRestart, proto.CloseReasonFenced)
	}
}

// refuseFenced answers a handshake with 503 while the node is fenced.
func (s *Server) refuseFenced(w http.ResponseWriter) bool {
	if s.cluster == nil || !s.cluster.fenced.Load() {
		return false
	}
	http.Error(w, "server cut off from its cluster; try another", http.StatusServiceUnavailable)
	return true
}
