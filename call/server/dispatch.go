package server

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"duet/call/proto"
)

// storeTimeout bounds database work done for one request.
const storeTimeout = 5 * time.Second

func encode(env proto.Envelope) ([]byte, error) { return json.Marshal(env) }

// handle decodes one message and routes it. Input errors are answered here
// and never end the connection.
func (sess *session) handle(msg []byte) {
	env, err := proto.DecodeEnvelope(msg)
	if err != nil {
		sess.srv.metrics.request("invalid")
		sess.replyError(env.ID, asProtoError(err))
		return
	}
	req, err := proto.DecodeRequest(env)
	if err != nil {
		sess.srv.metrics.request("invalid")
		sess.replyError(env.ID, asProtoError(err))
		return
	}
	sess.srv.metrics.request(req.RequestType())
	if login, ok := req.(*proto.Login); ok {
		sess.login(env.ID, login)
		return
	}
	if sess.state.Load() != signedIn {
		sess.replyError(env.ID, proto.Errorf(proto.CodeNotSignedIn, "send login first"))
		return
	}
	h := sess.srv.hub
	switch r := req.(type) {
	case *proto.Contacts:
		sess.contacts(env.ID)
	case *proto.Call:
		sess.call(env.ID, r)
	case *proto.Response:
		if !sess.toOwner(env.ID, msg, r.CID, false) {
			h.postFrom(sess, func() { h.response(sess, env.ID, r) })
		}
	case *proto.StartRTC:
		if !sess.toOwner(env.ID, msg, r.CID, true) {
			h.postFrom(sess, func() { h.startRTC(sess, env.ID, r) })
		}
	case *proto.Hangup:
		if !sess.toOwner(env.ID, msg, r.CID, false) {
			h.postFrom(sess, func() { h.hangup(sess, env.ID, r) })
		}
	case *proto.Relay:
		if sess.admitRelay(env.ID, r.Payload) && !sess.toOwner(env.ID, msg, r.CID, false) {
			h.postFrom(sess, func() { h.relay(sess, env.ID, r) })
		}
	case *proto.History:
		sess.history(env.ID, r)
	}
}

func (sess *session) login(id uint64, req *proto.Login) {
	if !sess.state.CompareAndSwap(loggedOut, loggingIn) {
		sess.replyError(id, proto.Errorf(proto.CodeAlreadySigned, "this connection already signed in"))
		return
	}
	if err := sess.srv.authenticate(sess.ctx, req.Account, req.Token, sess.open()); err != nil {
		sess.state.Store(loggedOut)
		sess.replyError(id, asProtoError(err))
		return
	}
	var resumed *proto.ActiveCall
	if cl := sess.srv.cluster; cl != nil && req.DeviceID != "" {
		cl.arriving(deviceKey{req.Account, req.DeviceID})
		resumed = cl.resume(sess.ctx, req.Account, req.DeviceID, req.ClientType)
	}
	h := sess.srv.hub
	h.post(func() { h.login(sess, id, req, resumed) })
}

// contacts makes sess a presence watcher, then reads the accounts: an
// account missing from the read signs in after the watch began, so its
// presence reaches sess as an event. Reading first would lose accounts that
// appeared in between.
func (sess *session) contacts(id uint64) {
	h := sess.srv.hub
	h.postFrom(sess, func() { h.watchers[sess] = struct{}{} })
	ctx, cancel := context.WithTimeout(sess.ctx, storeTimeout)
	names, err := sess.srv.store.accountNames(ctx)
	cancel()
	if err != nil {
		logDBError(sess.logger(), "contacts: list accounts", err)
		sess.replyError(id, proto.Errorf(proto.CodeUnavailable, "cannot read accounts now; try again"))
		return
	}
	h.postFrom(sess, func() { h.contacts(sess, id, names) })
}

func (sess *session) call(id uint64, req *proto.Call) {
	if req.Callee == sess.account {
		sess.replyError(id, proto.Errorf(proto.CodeCallSelf, "you cannot call yourself"))
		return
	}
	// Before the database is asked anything: a script dialling in a loop
	// costs a map lookup per attempt.
	if ok, wait := sess.srv.calls.placing(sess.account, time.Now()); !ok {
		sess.replyError(id, rateLimited(wait, "you are placing calls too fast (an account may place %v)",
			sess.srv.cfg.Limits.Calls))
		return
	}
	if perr := sess.srv.recorder.full(); perr != nil {
		sess.replyError(id, perr)
		return
	}
	// On a cluster the busy keys are taken while the database is asked:
	// the call waits for the slower of the two, not both.
	var pl placement
	var claim *claiming
	if cl := sess.srv.cluster; cl != nil {
		pl.cid = newCID()
		claim = cl.startClaim(sess.account, req.Callee, pl.cid)
	}
	ctx, cancel := context.WithTimeout(sess.ctx, storeTimeout)
	exists, err := sess.srv.store.accountExists(ctx, req.Callee)
	cancel()
	if claim != nil && err == nil && exists {
		if gate, ok := claim.gate(); ok {
			sess.callEarly(id, req, pl, claim, gate)
			return
		}
	}
	var claimErr error
	if claim != nil {
		ctx, cancel := context.WithTimeout(sess.ctx, natsTimeout)
		var callerBusy bool
		pl.claims, callerBusy, pl.calleeBusy, claimErr = claim.claimCall(ctx)
		cancel()
		if claimErr == nil && callerBusy {
			claimErr = errCallerBusy
		}
	}
	if sess.srv.cluster != nil {
		switch {
		case err == nil && !exists:
			sess.srv.cluster.forgetName(pl.cid, pl.claims, req.Callee)
		case err != nil || claimErr != nil:
			sess.srv.cluster.release(pl.cid, pl.claims)
		}
	}
	switch {
	case err != nil:
		logDBError(sess.logger(), "call: look up callee", err)
		sess.replyError(id, proto.Errorf(proto.CodeUnavailable, "cannot read accounts now; try again"))
		return
	case !exists:
		sess.replyError(id, proto.Errorf(proto.CodeUnknownAccount, "no account named %q", req.Callee))
		return
	case errors.Is(claimErr, errCallerBusy):
		sess.replyError(id, proto.Errorf(proto.CodeBusy, "you are already in a call; hang up first"))
		return
	case claimErr != nil:
		sess.logger().Warn("call: claim busy keys", "err", claimErr)
		sess.replyError(id, proto.Errorf(proto.CodeUnavailable, "cannot place calls now; try again"))
		return
	}
	h := sess.srv.hub
	h.post(func() {
		if h.devices[deviceKey{sess.account, sess.deviceID}] != sess {
			h.unclaim(&callState{cid: pl.cid, claims: pl.claims}) // replaced or gone meanwhile
			return
		}
		h.call(sess, id, req, pl)
	})
}

// callEarly places a call whose busy keys were written at once: the
// callee's devices on other nodes ring while the writes are acknowledged,
// behind a gate (clustergate.go), and the hub then hears how they went.
func (sess *session) callEarly(id uint64, req *proto.Call, pl placement, claim *claiming, gate ringGate) {
	h := sess.srv.hub
	pl.gate = &gate
	h.post(func() {
		if h.devices[deviceKey{sess.account, sess.deviceID}] != sess {
			return // replaced or gone meanwhile: claimed releases the keys
		}
		h.call(sess, id, req, pl)
	})
	// Not the session's context: the keys are the call's, whatever
	// becomes of the connection that placed it.
	ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
	var res claimResult
	res.claims, res.callerBusy, res.calleeBusy, res.err = claim.claimCall(ctx)
	cancel()
	h.post(func() { h.claimed(pl.cid, res) })
}

// errCallerBusy: the caller's account is in a call on some node.
var errCallerBusy = errors.New("caller busy")

// history queues its query through the hub, behind the records of the
// calls that requests sent before it ended: a history asked right after a
// hangup lists that call.
func (sess *session) history(id uint64, req *proto.History) {
	h, r := sess.srv.hub, sess.srv.recorder
	type queued struct {
		q   *historyQuery
		err error
	}
	in := make(chan queued, 1)
	h.postFrom(sess, func() {
		q, err := r.queueHistory(sess.account, *req)
		in <- queued{q, err}
	})
	var res proto.HistoryResult
	var err error
	select {
	case qd := <-in:
		if err = qd.err; err == nil {
			ctx, cancel := context.WithTimeout(sess.ctx, storeTimeout)
			res, err = r.awaitHistory(ctx, qd.q)
			cancel()
		}
	case <-sess.ctx.Done(): // replaced or closed: the hub skipped it
		return
	case <-h.done:
		return
	}
	var perr *proto.Error
	switch {
	case errors.As(err, &perr):
		sess.replyError(id, perr) // the recorder said why; it logs its failures itself
		return
	case err != nil:
		logDBError(sess.logger(), "history", err)
		sess.replyError(id, proto.Errorf(proto.CodeUnavailable, "cannot read call history now; try again"))
		return
	}
	sess.reply(id, res)
}

func asProtoError(err error) *proto.Error {
	var pe *proto.Error
	if errors.As(err, &pe) {
		return pe
	}
	return proto.Errorf(proto.CodeInternal, "%v", err)
}
