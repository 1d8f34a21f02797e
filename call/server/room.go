package server

import "duet/call/proto"

// startRTC puts a party's device in the call's room: the reply carries its
// uid, syncDone lists who is already there, and the peer gets clientJoin.
// Joining again (after a reconnect) keeps the uid.
func (h *hub) startRTC(sess *session, id uint64, req *proto.StartRTC) {
	c, perr := h.callFor(sess, req.CID)
	if perr == nil && !c.answered() {
		perr = proto.Errorf(proto.CodeWrongState, "call %s is not answered yet", c.cid)
	}
	if perr != nil {
		sess.replyError(id, perr)
		return
	}
	p, other := c.party(sess.account), c.other(sess.account)
	if p.uid == 0 {
		h.nextUID++
		p.uid = h.nextUID
	}
	p.mode = req.Mode
	if p.mode == proto.CallTypeUnknown {
		p.mode = c.typ
	}
	h.keepOpen(c)
	res := proto.StartRTCResult{UID: p.uid, Account: sess.account, CID: c.cid}
	if sess.remote != nil {
		res.ICEServers = sess.remote.ice // from the device's own node
	} else if len(h.srv.relaysFor(sess)) > 0 {
		// Fresh credentials: their lifetime counts from the call's start
		// (see turncreds.go).
		res.ICEServers = h.srv.iceServersFor(sess)
	}
	sess.reply(id, res)
	users := []proto.RoomMember{}
	if other.uid != 0 {
		users = append(users, proto.RoomMember{Account: other.account, UID: other.uid, Mode: other.mode})
		h.sendEvent(other.sess, proto.ClientJoin{CID: c.cid, Account: sess.account, UID: p.uid, Mode: p.mode})
	}
	h.sendEvent(sess, proto.SyncDone{CID: c.cid, Code: 200, ErrMsg: "", UserList: users})
}

// relay forwards a payload to the other member of the room, and only there.
func (h *hub) relay(sess *session, id uint64, req *proto.Relay) {
	c, perr := h.callFor(sess, req.CID)
	if perr == nil {
		p, other := c.party(sess.account), c.other(sess.account)
		switch {
		case p.uid == 0:
			perr = proto.Errorf(proto.CodeNotInRoom, "join call %s with startRtc first", c.cid)
		case other.uid == 0:
			perr = proto.Errorf(proto.CodeNotInRoom, "%s has not joined call %s yet", other.account, c.cid)
		case other.sess == nil:
			perr = proto.Errorf(proto.CodeUnavailable, "%s is reconnecting; try again", other.account)
		default:
			sess.reply(id, nil)
			h.sendEvent(other.sess, proto.RelayEvent{CID: c.cid, From: sess.account, FromUID: p.uid,
				Kind: req.Kind, Payload: req.Payload})
			return
		}
	}
	sess.replyError(id, perr)
}
