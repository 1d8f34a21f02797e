package server

import (
	"context"
	"fmt"
	"time"

	"duet/call/proto"
)

// recoverOpenCalls takes back the calls that were in progress when the
// server last stopped, however it stopped. A call that was still ringing
// cannot be resumed (its invitation is gone) and is closed as network
// lost. An answered call waits, as after any lost connection, for its
// parties to sign in again on the same devices; media was peer to peer and
// may never have stopped. Whoever does not come back within the reconnect
// grace ends it as network lost. Either way the call gets its record.
func (s *Server) recoverOpenCalls(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	calls, err := s.store.openCalls(ctx)
	if err != nil {
		return fmt.Errorf("recover open calls: %w", err)
	}
	var pending []openCall
	for _, o := range calls {
		if s.cluster != nil && o.Node != s.cluster.cfg.Node {
			continue // another node's: it lives there, or is taken over from there
		}
		done, err := s.store.hasRecord(ctx, o.CID)
		if err != nil {
			return fmt.Errorf("recover open calls: %w", err)
		}
		if done { // ended, but the server stopped before it cleared the row
			if err := s.store.deleteOpenCall(ctx, o.CID); err != nil {
				return fmt.Errorf("recover open calls: %w", err)
			}
			continue
		}
		pending = append(pending, o)
	}
	if len(pending) > 0 {
		s.log.Info("recovering calls open at the last stop", "count", len(pending))
		s.hub.post(func() { s.hub.restore(pending) })
	}
	return nil
}

// restore runs on the hub's goroutine before any client has signed in.
func (h *hub) restore(calls []openCall) {
	now := h.now()
	for _, o := range calls {
		c := o.callState()
		c.lostAt = now
		if !c.answered() {
			h.log.Info("closing a call that was ringing when the server stopped", "cid", c.cid)
			h.record(c, proto.ReasonNetworkLost, "")
			continue
		}
		h.calls[c.cid] = c
		if h.srv.cluster != nil {
			h.srv.cluster.own(c.cid) // its busy keys, left from before, stay held
		}
		h.account(c.caller).call = c
		h.account(c.callee).call = c
		h.losses++ // both parties were lost with the server, together
		for _, p := range []*party{&c.callerParty, &c.calleeParty} {
			p.lost = h.losses
			h.nextUID = max(h.nextUID, p.uid)
			h.awaitParty(c, p, h.cfg.ReconnectGrace)
		}
		h.log.Info("holding a call open at the last stop for its parties", "cid", c.cid,
			"caller", c.caller, "callee", c.callee, "grace", h.cfg.ReconnectGrace)
	}
}

// awaitParty gives a party whose device is away grace to sign in again
// before the call ends as network lost. The record's endedBy is that party,
// the one lost first when both are away: its grace runs out first. Parties
// lost together, when a server restarted and neither came back, leave
// endedBy "": the server ended the call.
func (h *hub) awaitParty(c *callState, p *party, grace time.Duration) {
	p.grace = h.after(grace, func() {
		if h.calls[c.cid] != c || p.sess != nil || c.suspended {
			return
		}
		endedBy := p.account
		if o := c.other(p.account); o.sess == nil {
			switch {
			case o.lost == p.lost:
				endedBy = ""
			case o.lost < p.lost:
				// Lost first; its grace fired as late as this one's
				// (a busy machine runs both timers at once).
				endedBy = o.account
			}
		}
		h.log.Info("call party did not come back", "cid", c.cid, "account", p.account, "after", grace, "endedBy", endedBy)
		h.endCall(c, proto.ReasonNetworkLost, endedBy)
	})
}

func (s *store) hasRecord(ctx context.Context, cid string) (bool, error) {
	var exists bool
	if err := s.queryRow(ctx, `SELECT EXISTS(SELECT 1 FROM records WHERE cid = ?)`, cid).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up record %s: %w", cid, err)
	}
	return exists, nil
}
