package server

import (
	"time"

	"duet/call/proto"
)

// placement is what a connection's reader settled before a call reaches
// the hub: on a cluster, the call's id and its busy keys (clusterbusy.go).
type placement struct {
	cid        string
	claims     []busyClaim
	calleeBusy bool      // the callee's key is held by another call
	gate       *ringGate // the keys' writes are not yet acknowledged: ring early (earlyring.go)
}

// call places an invitation: busy and offline callees end it at once (with a
// record); otherwise every device of the callee rings until an answer, a
// cancel or the ring limit.
func (h *hub) call(sess *session, id uint64, req *proto.Call, pl placement) {
	if pl.cid == "" {
		pl.cid = newCID()
	}
	now := h.now()
	c := &callState{cid: pl.cid, typ: req.Type, custom: req.PushConfig.Custom, createdAt: now,
		caller: sess.account, callee: req.Callee, claims: pl.claims, gate: pl.gate,
		callerParty: party{account: sess.account, deviceID: sess.deviceID, clientType: sess.clientType, sess: sess},
		calleeParty: party{account: req.Callee}}
	if h.accounts[sess.account].call != nil {
		h.unclaim(c)
		sess.replyError(id, proto.Errorf(proto.CodeBusy, "you are already in a call; hang up first"))
		return
	}
	// Only calls that are placed count: ringing, busy or offline, each
	// reaches the callee or their history.
	if ok, wait := h.srv.calls.ringing(req.Callee, time.Now()); !ok {
		h.unclaim(c)
		sess.replyError(id, rateLimited(wait, "%s has been called too often; a person may be called %v",
			req.Callee, h.cfg.Limits.Rings))
		return
	}
	callee := h.accounts[req.Callee]
	online := callee != nil && len(callee.sessions) > 0 || len(h.remote[req.Callee]) > 0
	switch {
	case callee != nil && callee.call != nil, pl.calleeBusy:
		h.unclaim(c)
		sess.reply(id, proto.CallResult{CID: c.cid, Timetag: now})
		h.sendEvent(sess, proto.CallRejected{CID: c.cid, Type: c.typ, Reason: proto.ReasonBusy, Timetag: now})
		h.record(c, proto.ReasonBusy, req.Callee)
	case !online && !req.ForceKeepCalling:
		h.unclaim(c)
		sess.replyError(id, proto.Errorf(proto.CodeCalleeOffline,
			"%s is offline (call %s); try later, or call with forceKeepCalling to ring when they sign in", req.Callee, c.cid))
		h.record(c, proto.ReasonOffline, "")
	default:
		h.calls[c.cid] = c
		h.accounts[sess.account].call = c
		h.account(req.Callee).call = c
		sess.reply(id, proto.CallResult{CID: c.cid, Timetag: now})
		c.ringTimer = h.after(h.cfg.RingTimeout, func() {
			if h.calls[c.cid] == c && !c.answered() && !c.suspended {
				h.endCall(c, proto.ReasonTimeout, "")
			}
		})
		h.ring(c)
		h.keepOpen(c)
		sess.logger().Info("calling", "cid", c.cid, "callee", req.Callee, "type", c.typ, "calleeOnline", online)
	}
}

// callFor finds the call cid and checks that sess may act on it: the
// account is a party and, once the call is bound to a device of that
// account, sess is that device.
func (h *hub) callFor(sess *session, cid string) (*callState, *proto.Error) {
	c := h.calls[cid]
	if c == nil {
		return nil, proto.Errorf(proto.CodeNoSuchCall, "no call %s: it ended or never existed", cid)
	}
	if !c.isParty(sess.account) {
		return nil, proto.Errorf(proto.CodeNotParticipant, "call %s is not yours", cid)
	}
	if p := c.party(sess.account); p.deviceID != "" && p.deviceID != sess.deviceID {
		return nil, proto.Errorf(proto.CodeNotParticipant, "call %s is on another of your devices", cid)
	}
	return c, nil
}

func (h *hub) response(sess *session, id uint64, req *proto.Response) {
	c := h.calls[req.CID]
	var perr *proto.Error
	switch {
	case c == nil:
		perr = proto.Errorf(proto.CodeNoSuchCall, "no call %s: it ended or never existed", req.CID)
	case sess.account != c.callee:
		perr = proto.Errorf(proto.CodeNotParticipant, "only the callee answers call %s", c.cid)
	case c.answered():
		perr = proto.Errorf(proto.CodeWrongState, "call %s was already answered on another device", c.cid)
	case req.Caller != "" && req.Caller != c.caller, req.Type != proto.CallTypeUnknown && req.Type != c.typ:
		perr = proto.Errorf(proto.CodeBadRequest, "caller or type does not match call %s", c.cid)
	}
	if perr != nil {
		sess.replyError(id, perr)
		return
	}
	sess.reply(id, nil)
	if !req.Accepted {
		reason := proto.ReasonRejected
		if req.Reason == proto.ReasonBusy {
			reason = proto.ReasonBusy
		}
		h.reject(c, sess, reason)
		return
	}
	now := h.now()
	h.srv.calls.answered(c.caller, c.callee, time.Now())
	c.answeredAt = now
	c.calleeParty.deviceID, c.calleeParty.clientType, c.calleeParty.sess = sess.deviceID, sess.clientType, sess
	c.ringTimer.Stop()
	h.keepOpen(c)
	if h.srv.cluster != nil {
		h.srv.cluster.answered(c.cid, c.caller, c.callee)
	}
	h.sendEvent(c.callerParty.sess, proto.CallAccepted{CID: c.cid, Type: c.typ, Timetag: now})
	h.toAccount(c.callee, proto.CallerAckSync{Timetag: now, CID: c.cid, Type: c.typ, Accepted: true,
		FromClientType: sess.clientType}, sess)
	h.updatePresence(c.caller)
	h.updatePresence(c.callee)
	sess.logger().Info("answered", "cid", c.cid)
}

// reject ends a ringing call declined by one of the callee's devices, as
// rejected or, when the callee said so, busy.
func (h *hub) reject(c *callState, by *session, reason proto.Reason) {
	h.unclaim(c)
	now := h.now()
	h.sendEvent(c.callerParty.sess, proto.CallRejected{CID: c.cid, Type: c.typ, Reason: reason, Timetag: now})
	h.toAccount(c.callee, proto.CallerAckSync{Timetag: now, CID: c.cid, Type: c.typ, Accepted: false,
		FromClientType: by.clientType}, by)
	h.finish(c, reason, by.account)
}

// hangup: the caller before an answer cancels; a callee device before an
// answer rejects; either party after an answer ends the call.
func (h *hub) hangup(sess *session, id uint64, req *proto.Hangup) {
	c, perr := h.callFor(sess, req.CID)
	if perr != nil {
		sess.replyError(id, perr)
		return
	}
	sess.reply(id, nil)
	switch {
	case !c.answered() && sess.account == c.callee:
		h.reject(c, sess, proto.ReasonRejected)
	case !c.answered():
		reason := proto.ReasonCancelled
		if req.Reason == proto.ReasonTimeout {
			reason = proto.ReasonTimeout
		}
		h.endCall(c, reason, sess.account)
	default:
		h.endCall(c, proto.ReasonHangup, sess.account)
	}
}

// endCall tells every device still in the call (but not the one of endedBy,
// which knows) that it ended, then finishes it.
func (h *hub) endCall(c *callState, reason proto.Reason, endedBy string) {
	h.unclaim(c)
	ev := proto.HangupEvent{Timetag: h.now(), CID: c.cid, Account: endedBy, Reason: reason}
	for _, p := range []*party{&c.callerParty, &c.calleeParty} {
		if p.account == endedBy {
			continue
		}
		if other := c.other(p.account); other.uid != 0 && p.uid != 0 {
			h.sendEvent(p.sess, proto.ClientLeave{CID: c.cid, Account: other.account, UID: other.uid, Reason: reason})
		}
		if p.deviceID == "" {
			h.toAccount(p.account, ev, nil) // a ringing callee: every device rings
		} else {
			h.sendEvent(p.sess, ev)
		}
	}
	h.finish(c, reason, endedBy)
}

// finish removes an ended call, records it and updates presence.
func (h *hub) finish(c *callState, reason proto.Reason, endedBy string) {
	c.stopTimers()
	delete(h.calls, c.cid)
	h.unclaim(c)
	for _, acc := range []string{c.caller, c.callee} {
		if st := h.accounts[acc]; st != nil && st.call == c {
			st.call = nil
		}
	}
	h.record(c, reason, endedBy)
	h.updatePresence(c.caller)
	h.updatePresence(c.callee)
	h.log.Info("call ended", "cid", c.cid, "reason", reason, "by", endedBy)
}

// record writes the call's record and, once it is durable, pushes it to
// every device of both parties. Every call that ends comes here once,
// those turned away at once as busy or offline too, so it counts them.
func (h *hub) record(c *callState, reason proto.Reason, endedBy string) {
	h.srv.metrics.callsEnded.WithLabelValues(reason.String()).Inc()
	rec := c.record(reason, endedBy, h.now())
	h.srv.recorder.save(rec, func(saved proto.CallRecord) {
		h.post(func() {
			ev := proto.CallRecordEvent{CallRecord: saved}
			h.toAccount(saved.Caller, ev, nil)
			h.toAccount(saved.Callee, ev, nil)
		})
	})
}

// unclaim frees the call's busy keys on a cluster, once the events sent
// so far have left for the other nodes. A call that ends does it before
// it tells anyone: a device that hears of the end and calls back at once
// finds the keys free, or at least known to be stale.
func (h *hub) unclaim(c *callState) {
	if h.srv.cluster != nil {
		h.srv.cluster.release(c.cid, c.claims)
		c.claims = nil
	}
}
