package server

import (
	"context"
	"fmt"
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
	// What was published while the link was down may be lost, and the
	// node's key may have expired: both are put again now.
	for k, sess := range c.local {
		c.pending[k] = &deviceEntry{Node: c.cfg.Node, ClientType: sess.clientType}
	}
	for _, ch := range append([]chan struct{}{c.wake, c.beat}, c.rewatch...) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	if c.fenced.Load() && !c.closed {
		c.fenced.Store(false)
		c.log.Info("cluster: NATS is back; taking clients again")
		c.wg.Add(1) // under mu, and not closed: close has not begun waiting
		go func() { defer c.wg.Done(); c.settle() }()
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
		c.hub.post(c.hub.suspendCalls)
	}
}

// suspendCalls stops every call's timers without ending it: the nodes that
// still see the cluster take the calls over, end them and write their
// records. If NATS itself is down, no node does; settleCalls takes the
// calls back when it returns. Runs on the hub.
func (h *hub) suspendCalls() {
	for _, c := range h.calls {
		c.stopTimers()
		c.suspended = true
	}
	if len(h.calls) > 0 {
		h.log.Info("cluster: leaving calls to the nodes that take them over", "calls", len(h.calls))
	}
}

// settle, once NATS is back, forgets the suspended calls that another node
// took over and takes back the others. Runs on the link's callback; it
// waits on NATS.
func (c *cluster) settle() {
	h := c.hub
	cids := make(chan []string, 1)
	h.post(func() {
		var out []string
		for _, call := range h.calls {
			if call.suspended {
				out = append(out, call.cid)
			}
		}
		cids <- out
	})
	var suspended []string
	select {
	case suspended = <-cids:
	case <-h.done:
		return
	}
	for _, cid := range suspended {
		ctx, cancel := context.WithTimeout(c.ctx, natsTimeout)
		e, err := c.calls.Get(ctx, cid)
		cancel()
		takenBy := ""
		if err == nil {
			takenBy = string(e.Value())
		}
		h.post(func() { h.settleCall(cid, takenBy != "" && takenBy != c.cfg.Node) })
	}
}

// settleCall forgets a suspended call another node took over, or takes it
// back as a restarted server would: a ringing call ends as network lost,
// an answered one waits for its away parties again. Runs on the hub.
func (h *hub) settleCall(cid string, takenOver bool) {
	c := h.calls[cid]
	if c == nil || !c.suspended {
		return
	}
	c.suspended = false
	if takenOver {
		delete(h.calls, cid)
		for _, acc := range []string{c.caller, c.callee} {
			if st := h.accounts[acc]; st != nil && st.call == c {
				st.call = nil
			}
			h.updatePresence(acc)
		}
		h.srv.cluster.release(cid, nil) // no longer ours; its keys are the taker's
		h.log.Info("cluster: a call was taken over while this node was cut off", "cid", cid)
		return
	}
	if !c.answered() {
		h.endCall(c, proto.ReasonNetworkLost, "")
		return
	}
	for _, p := range []*party{&c.callerParty, &c.calleeParty} {
		if p.sess == nil {
			h.awaitParty(c, p, h.cfg.ReconnectGrace)
		}
	}
}

// fenceSessions closes every connection with 1012.
func (s *Server) fenceSessions() {
	for _, sess := range s.openSessions() {
		sess.closeWith(proto.CloseServiceRestart, proto.CloseReasonFenced)
	}
}

// healthz says whether the server takes clients: a load balancer's health
// check stops sending clients to a fenced node.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if !s.refuseFenced(w) {
		fmt.Fprintln(w, "ok")
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
