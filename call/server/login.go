package server

import (
	"time"

	"duet/call/proto"
)

func (h *hub) account(name string) *accountState {
	st := h.accounts[name]
	if st == nil {
		st = &accountState{sessions: map[*session]struct{}{}}
		h.accounts[name] = st
	}
	return st
}

// login binds an authenticated session to its account and device. A device
// signing in again replaces its old connection and takes over its call.
// resumed is the device's call on another node of a cluster, which that
// node already handed back to it (resume.go).
func (h *hub) login(sess *session, id uint64, req *proto.Login, resumed *proto.ActiveCall) {
	if h.stopped {
		return
	}
	sess.account, sess.clientType, sess.deviceID = req.Account, req.ClientType, req.DeviceID
	if sess.deviceID == "" {
		sess.deviceID = newCID()
	}
	sess.log.Store(sess.logger().With("account", sess.account, "device", sess.deviceID))
	key := deviceKey{sess.account, sess.deviceID}
	st := h.account(sess.account)
	if old := h.devices[key]; old != nil {
		// The old connection's disconnect must not end the call it hands
		// over, and its client must not come back to take it again.
		delete(st.sessions, old)
		delete(h.watchers, old)
		old.logger().Info("replaced by a newer connection of this device")
		old.closeWith(proto.CloseReplaced, proto.CloseReasonReplaced)
	}
	h.devices[key] = sess
	st.sessions[sess] = struct{}{}
	sess.state.Store(signedIn)
	sess.signedIn()

	res := proto.LoginResult{Account: sess.account, DeviceID: sess.deviceID, ServerTime: h.now(),
		ICEServers: h.srv.iceServersFor(sess)}
	if c := st.call; c != nil && c.hasDevice(sess) {
		c.reconnected(sess)
		res.ActiveCall = c.activeFor(sess)
	} else if resumed != nil {
		res.ActiveCall = resumed
	}
	// A ringing call to this account rings here too: a device that signs in
	// while a forceKeepCalling invitation waits, or just another device.
	ringing := st.call
	// One whose busy keys are not yet confirmed rings here once they are.
	if ringing != nil && (ringing.answered() || ringing.callee != sess.account || ringing.gate != nil) {
		ringing = nil
	}
	if ringing != nil {
		res.Ringing = []proto.BeCalling{ringing.beCalling()}
	}
	// Only now do other nodes reach the device: a ring they send must not
	// reach it before the reply to its login.
	if h.srv.cluster != nil {
		h.srv.cluster.signedIn(key, sess, func() { sess.reply(id, res) })
	} else {
		sess.reply(id, res)
	}
	sess.logger().Info("signed in", "client", sess.clientType)
	h.updatePresence(sess.account)
	if ringing != nil {
		h.sendEvent(sess, ringing.beCalling())
	}
}

// disconnected runs once a session's connection is gone.
func (h *hub) disconnected(sess *session) {
	if sess.state.Load() != signedIn {
		return
	}
	key := deviceKey{sess.account, sess.deviceID}
	if h.devices[key] != sess {
		return // replaced by a newer connection of the same device
	}
	delete(h.devices, key)
	if h.srv.cluster != nil {
		h.srv.cluster.signedOut(key)
	}
	st := h.accounts[sess.account]
	delete(st.sessions, sess)
	delete(h.watchers, sess)
	sess.logger().Info("signed out")

	if c := st.call; c != nil && c.hasDevice(sess) {
		h.deviceLost(c, sess)
	}
	h.updatePresence(sess.account)
}

// deviceLost starts the grace period of a call whose party's device dropped:
// short for a ringing caller (the call would otherwise ring for nobody),
// longer for an answered call whose media may still be flowing.
func (h *hub) deviceLost(c *callState, sess *session) {
	grace, reason := h.cfg.ReconnectGrace, proto.ReasonNetworkLost
	if !c.answered() {
		if sess.account != c.caller {
			return // a ringing callee device: other devices may still answer
		}
		grace, reason = h.cfg.CallerGrace, proto.ReasonCancelled
	}
	party := c.party(sess.account)
	party.sess = nil
	h.losses++
	party.lost = h.losses
	if c.lostAt == 0 {
		c.lostAt = h.now()
	}
	if reason == proto.ReasonNetworkLost {
		h.awaitParty(c, party, grace)
		return
	}
	party.grace = h.after(grace, func() {
		if h.calls[c.cid] != c || party.sess != nil || c.suspended {
			return
		}
		h.log.Info("caller did not come back", "cid", c.cid, "account", sess.account, "after", grace.Round(time.Millisecond))
		if c.answered() { // answered while the caller was away
			h.endCall(c, proto.ReasonNetworkLost, sess.account)
			return
		}
		h.endCall(c, reason, sess.account)
	})
}
