package server

import "duet/call/proto"

// The hub's side of early rings (clustergate.go): a call whose busy keys
// were written at once rings the callee's devices on other nodes before
// the writes are acknowledged.

// claimResult is how the writes of a call's busy keys went (claimCall).
type claimResult struct {
	claims                 []busyClaim
	callerBusy, calleeBusy bool
	err                    error
}

// ring sends the call's invitation to every device of the callee. While
// its busy keys are unconfirmed, only the devices on other nodes ring,
// behind the call's gate; this node's ring once the keys are (claimed).
func (h *hub) ring(c *callState) {
	if c.gate == nil {
		h.toAccount(c.callee, c.beCalling(), nil)
		return
	}
	for dev, d := range h.remote[c.callee] {
		h.ringRemote(h.proxy(deviceKey{c.callee, dev}, d.ClientType, d.Node), c)
	}
}

// ringRemote rings one device of the callee on another node.
func (h *hub) ringRemote(p *session, c *callState) {
	if c.gate == nil {
		h.sendEvent(p, c.beCalling())
		return
	}
	b, err := encodeEvent(c.beCalling())
	if err != nil {
		h.log.Error("encode event", "type", "beCalling", "err", err)
		return
	}
	h.srv.cluster.deliverGated(p.remote.node, deviceKey{p.account, p.deviceID}, b, *c.gate)
}

// claimed hears how the busy keys of an early call went: taken, it rings
// this node's devices and confirms the others' rings; lost, the call ends.
func (h *hub) claimed(cid string, res claimResult) {
	c := h.calls[cid]
	if c == nil || c.gate == nil {
		// The call was not placed, or ended before its keys were taken.
		h.srv.cluster.release(cid, res.claims)
		return
	}
	c.gate = nil
	if res.err != nil || res.callerBusy || res.calleeBusy {
		h.srv.cluster.release(cid, res.claims)
		h.withdraw(c, res)
		return
	}
	c.claims = res.claims
	if c.answered() {
		// Answered on a device whose node saw the keys before this node's
		// acks came: nothing rings any more, and the others were told.
		return
	}
	if st := h.accounts[c.callee]; st != nil {
		h.broadcast(st.sessions, c.beCalling(), nil)
	}
	ring, err := encodeEvent(c.beCalling())
	if err != nil {
		h.log.Error("encode event", "type", "beCalling", "err", err)
	}
	for dev, d := range h.remote[c.callee] {
		h.srv.cluster.confirmRing(d.Node, deviceKey{c.callee, dev}, cid, ring)
	}
}

// withdraw ends an early call that did not get its busy keys. One that
// lost a key to another call ends as a busy call on one node does, before
// anyone rang: its gates drop the rings, as they see the key go to the
// other call. One that NATS failed ends as lost; a ring that got through
// meanwhile is hung up.
func (h *hub) withdraw(c *callState, res claimResult) {
	if res.err != nil {
		h.log.Warn("call: claim busy keys", "cid", c.cid, "err", res.err)
		h.endCall(c, proto.ReasonNetworkLost, "")
		return
	}
	h.sendEvent(c.callerParty.sess, proto.CallRejected{CID: c.cid, Type: c.typ, Reason: proto.ReasonBusy, Timetag: h.now()})
	h.finish(c, proto.ReasonBusy, c.callee)
}
