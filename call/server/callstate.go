package server

import (
	"time"

	"duet/call/proto"
)

// callState is one ringing or answered call. Owned by the hub.
type callState struct {
	cid         string
	typ         proto.CallType
	custom      string
	createdAt   int64
	answeredAt  int64 // 0 while ringing
	caller      string
	callee      string
	callerParty party // bound to the device that placed the call
	calleeParty party // bound to the device that answered, once one has
	ringTimer   *time.Timer
	// lostAt is when a party's device was lost (or the server restarted),
	// while one still is: a call that then ends as network lost ended,
	// as far as anyone knows, at that moment, not when the grace ran out.
	lostAt int64
	// claims are the call's busy keys on a cluster (clusterbusy.go).
	claims []busyClaim
	// gate: the call rings early, its busy keys not yet confirmed
	// (earlyring.go).
	gate *ringGate
	// suspended: this node was cut off from its cluster and left the call
	// to whoever takes it over (fence.go); its timers are stopped.
	suspended bool
}

// party is one side of a call: its device, and its place in the room.
type party struct {
	account    string
	deviceID   string           // "" for the callee until a device answers
	clientType proto.ClientType // of that device
	sess       *session         // nil while the device is reconnecting
	grace      *time.Timer      // running while sess is nil
	uid        uint64           // room uid; 0 until startRtc
	mode       proto.CallType
	// lost orders the losses of devices (hub.losses when this one was
	// lost): when both parties are away, the one lost first ended the
	// call. Parties lost together (a server restart) share one number.
	lost uint64
}

func (c *callState) answered() bool { return c.answeredAt != 0 }

func (c *callState) isParty(account string) bool { return account == c.caller || account == c.callee }

// party returns the side of account, which must be a party.
func (c *callState) party(account string) *party {
	if account == c.caller {
		return &c.callerParty
	}
	return &c.calleeParty
}

// other returns the side that is not account.
func (c *callState) other(account string) *party {
	if account == c.caller {
		return &c.calleeParty
	}
	return &c.callerParty
}

// hasDevice reports whether sess's device is the one this call is bound to
// on its account's side.
func (c *callState) hasDevice(sess *session) bool {
	if !c.isParty(sess.account) {
		return false
	}
	p := c.party(sess.account)
	return p.deviceID != "" && p.deviceID == sess.deviceID
}

// reconnected rebinds the call to a device's new session.
func (c *callState) reconnected(sess *session) {
	p := c.party(sess.account)
	p.sess = sess
	if p.grace != nil {
		p.grace.Stop()
		p.grace = nil
	}
	if c.callerParty.sess != nil && (c.calleeParty.sess != nil || !c.answered()) {
		c.lostAt = 0
	}
}

func (c *callState) activeFor(sess *session) *proto.ActiveCall {
	return &proto.ActiveCall{CID: c.cid, Caller: c.caller, Callee: c.callee, Type: c.typ,
		Answered: c.answered(), UID: c.party(sess.account).uid}
}

func (c *callState) beCalling() proto.BeCalling {
	return proto.BeCalling{CID: c.cid, Caller: c.caller, Type: c.typ, Custom: c.custom, Timetag: c.createdAt}
}

func (c *callState) stopTimers() {
	for _, t := range []*time.Timer{c.ringTimer, c.callerParty.grace, c.calleeParty.grace} {
		if t != nil {
			t.Stop()
		}
	}
}

func (c *callState) record(reason proto.Reason, endedBy string, now int64) proto.CallRecord {
	if reason == proto.ReasonNetworkLost && c.lostAt != 0 {
		now = c.lostAt
	}
	r := proto.CallRecord{CID: c.cid, Caller: c.caller, Callee: c.callee, Type: c.typ,
		Status: reason.Status(), CreatedAt: c.createdAt, AnsweredAt: c.answeredAt, EndedAt: now, EndedBy: endedBy}
	if c.answered() {
		r.Duration = now - c.answeredAt
	}
	return r
}
