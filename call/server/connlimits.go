package server

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/coder/websocket"

	"duet/call/proto"
)

// connLimits is one connection's message budget. Owned by the session's
// reader goroutine.
type connLimits struct {
	msgs    bucket // every message
	hangups bucket // hangups when msgs is spent
	relay   bucket // relay payload, in KiB
	strikes bucket // refused messages; empty = flooding
	refused int    // refused messages so far, for the logs
}

func newConnLimits(l Limits, now time.Time) connLimits {
	return connLimits{
		msgs:    newBucket(l.Messages, now),
		hangups: newBucket(l.Hangups, now),
		relay:   newBucket(l.RelayKiB, now),
		strikes: newBucket(Rate{Every: l.Messages.Every, Burst: l.FloodStrikes}, now),
	}
}

// admit decides whether the reader goes on to handle a message. A refused
// message is answered with rate_limited at once; a connection that goes on
// sending regardless is closed with 1008 (policy violation). Hangups get
// through on a budget of their own, so a user can always end a call.
func (sess *session) admit(typ websocket.MessageType, msg []byte) bool {
	now := time.Now()
	lim := &sess.limits
	ok, wait := lim.msgs.take(now)
	if ok {
		return true
	}
	var reqType string
	var id uint64
	if typ == websocket.MessageText && len(msg) <= proto.MaxMessageSize {
		reqType, id = peekRequest(msg)
	}
	if reqType == proto.TypeHangup {
		if ok, _ := lim.hangups.take(now); ok {
			return true
		}
	}
	lim.refused++
	if ok, _ := lim.strikes.take(now); !ok {
		sess.logger().Warn("closing a connection that keeps flooding after rate_limited errors",
			"refused", lim.refused)
		sess.closeWith(proto.ClosePolicyViolation, proto.CloseReasonFlood)
		return false
	}
	if lim.refused == 1 {
		sess.logger().Info("rate limiting a connection", "limit", sess.srv.cfg.Limits.Messages)
	}
	sess.replyError(id, rateLimited(wait, "too many messages (a connection may send %v)", sess.srv.cfg.Limits.Messages))
	return false
}

// rateLimited makes a rate_limited error whose message ends with the wait.
func rateLimited(wait time.Duration, format string, args ...any) *proto.Error {
	e := proto.RateLimited(wait, format, args...)
	e.Message += fmt.Sprintf("; retry in %s", time.Duration(e.RetryAfterMs)*time.Millisecond)
	return e
}

// peekRequest reads a message's type and id leniently, for the reply to a
// message that will not be handled; anything unreadable gives "" and 0.
func peekRequest(msg []byte) (typ string, id uint64) {
	var head struct {
		Type string `json:"type"`
		ID   uint64 `json:"id"`
	}
	if json.Unmarshal(msg, &head) != nil {
		return "", 0
	}
	return head.Type, head.ID
}

// admitRelay spends a relay's payload from the connection's relay budget,
// or answers rate_limited. Reader goroutine.
func (sess *session) admitRelay(id uint64, payload []byte) bool {
	ok, wait := sess.limits.relay.takeN(time.Now(), float64(len(payload))/1024)
	if !ok {
		sess.replyError(id, rateLimited(wait, "relaying too much (a connection may relay %v KiB)", sess.srv.cfg.Limits.RelayKiB))
	}
	return ok
}
