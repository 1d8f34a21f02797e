package gui

import (
	"context"
	"time"

	"fyne.io/fyne/v2/lang"
	"github.com/pion/webrtc/v4"

	"duet/call"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/devices"
)

// requestTimeout bounds one request to the server made from the UI.
const requestTimeout = 15 * time.Second

// placeCall calls peer (button callback): the outgoing view shows at once,
// the request runs in the background.
func (u *ui) placeCall(peer string, typ proto.CallType) {
	ph := u.phone()
	if u.call != nil && u.call.phase == phaseEnded {
		u.dropCall() // still showing why the last call ended
	}
	switch {
	case ph == nil, u.conn.state == connReconnecting:
		u.notice(lang.L(notConnected))
		return
	case u.call != nil:
		u.notice(lang.L(alreadyInCall))
		return
	}
	ac := newActiveCall(peer, typ, true)
	u.showCall(ac)
	u.goBG(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		cid, err := ph.Call(ctx, peer, typ, call.CallOptions{})
		u.post(func() {
			if u.call != ac {
				// Cancelled (or signed out) while the request was in flight.
				if err == nil && u.conn.ph == ph {
					u.goBG(func(ctx context.Context) { hangup(ctx, ph) })
				}
				return
			}
			if err != nil {
				u.log.Info("call failed", "callee", peer, "err", err)
				u.endCall(callError(peer, err))
				return
			}
			u.callPlaced(ac, cid)
		})
	})
}

// callPlaced records the cid of our outgoing call and applies the events
// that arrived for it before the reply did.
func (u *ui) callPlaced(ac *activeCall, cid string) {
	ac.cid, ac.phase = cid, phaseRinging
	u.refreshCall()
	pending := ac.pending
	ac.pending = nil
	for _, f := range pending {
		f()
	}
}

func hangup(ctx context.Context, ph *phone.Phone) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	ph.Hangup(ctx)
}

// deferred reports whether an event for an outgoing call must wait for the
// call's cid, and queues it if so.
func (u *ui) deferred(f func()) bool {
	if ac := u.call; ac != nil && ac.outgoing && ac.phase == phaseDialing {
		ac.pending = append(ac.pending, f)
		return true
	}
	return false
}

// current returns the call on screen if it is cid.
func (u *ui) current(cid string) *activeCall {
	if ac := u.call; ac != nil && ac.cid == cid && ac.phase != phaseEnded {
		return ac
	}
	return nil
}

func (u *ui) callAccepted(e *proto.CallAccepted) {
	if u.deferred(func() { u.callAccepted(e) }) {
		return
	}
	ac := u.current(e.CID)
	if ac == nil {
		return
	}
	ac.phase, ac.answered = phaseConnecting, time.Now()
	u.refreshCall()
}

// callEnded ends our outgoing call cid that was rejected or not answered.
func (u *ui) callEnded(cid string, r proto.Reason) {
	if u.deferred(func() { u.callEnded(cid, r) }) {
		return
	}
	if ac := u.current(cid); ac != nil {
		u.endCall(reasonMessage(ac.peer, r))
	}
}

func (u *ui) hangupEvent(e *proto.HangupEvent) {
	// The client reports a call the server dropped while the connection was
	// down as lost, just before it says it is back: what happened to it
	// meanwhile (a cancel, the peer hanging up) is in the history.
	missed := e.Reason == proto.ReasonNetworkLost && u.conn.state == connReconnecting
	if u.ring != nil && u.ring.cid == e.CID {
		caller := args{"Name": displayName(u.ring.caller)}
		msg := lang.L("{{.Name}} cancelled the call", caller)
		if e.Reason == proto.ReasonTimeout || missed {
			msg = lang.L("Missed call from {{.Name}}", caller)
		}
		u.closeRingingDialog(msg)
		return
	}
	if u.deferred(func() { u.hangupEvent(e) }) {
		return
	}
	if ac := u.current(e.CID); ac != nil {
		msg := reasonMessage(ac.peer, e.Reason)
		switch {
		case missed:
			msg = lang.L(endedWhileDown)
		case e.Reason == proto.ReasonHangup && !ac.answered.IsZero():
			msg += " · " + spokenDuration(time.Since(ac.answered))
		}
		u.endCall(msg)
	}
}

// endedWhileDown: the call ended while the connection was down.
const endedWhileDown = "The call ended while the connection was down"

// notConnected: a request that needs the server while it is out of reach.
const notConnected = "Not connected — wait for the connection to come back"

func (u *ui) mediaStarted(e *phone.MediaStarted) {
	if u.deferred(func() { u.mediaStarted(e) }) {
		return
	}
	ac := u.current(e.CID)
	if ac == nil {
		return // the phone closes sessions of calls that are over
	}
	ac.session = e.Session
	ac.gaps = u.gapsOf(ac, e.Session)
	// Choices made while connecting (mute) apply now; the session tells
	// the peer when it negotiates.
	if !ac.micOn {
		e.Session.SetMicrophone(false)
	}
	if ac.video() && !ac.camOn {
		e.Session.SetCamera(false)
	}
	u.startCallMedia(ac)
	u.refreshCall()
}

func (u *ui) mediaEnded(cid string) {
	if u.deferred(func() { u.mediaEnded(cid) }) {
		return
	}
	if ac := u.current(cid); ac != nil && ac.phase >= phaseConnecting {
		// The media ended without a hangup from either side: it failed.
		u.endCall(lang.L("The call ended: its media stopped"))
	}
}

// onMedia applies a media event of call cid.
func (u *ui) onMedia(epoch int, cid string, ev media.Event) {
	if epoch != u.conn.epoch {
		return
	}
	if u.deferred(func() { u.onMedia(epoch, cid, ev) }) {
		return
	}
	ac := u.current(cid)
	if ac == nil {
		return
	}
	switch e := ev.(type) {
	case media.ConnectionChanged:
		ac.mediaState = e.State
		switch e.State {
		case webrtc.PeerConnectionStateConnected:
			if ac.phase == phaseConnecting {
				ac.phase = phaseLive
			}
		}
		// A failed connection is no reason to hang up: the media session
		// restarts ICE for as long as the call lasts, and the server ends
		// the call if the peer is gone for good.
	case media.PeerMediaChanged:
		ac.peerAudio, ac.peerVideo, ac.share.peer = e.Audio, e.Video, e.Screen
	case media.PeerRecordingChanged:
		ac.rec.peer = e.Recording
	case media.FirstFrame:
		ac.firstFrame = true
		if ac.phase == phaseConnecting {
			ac.phase = phaseLive
		}
	case media.StatsUpdated:
		ac.stats = e.Stats
		ac.quality.add(e.Stats)
	case media.ScreenShareChanged:
		u.screenShareChanged(ac, e)
	case media.CameraFailed:
		// The call screen says why, as for a camera that did not open
		// when the call began.
		ac.camOn = false
		ac.gaps.camera, ac.gaps.cameraWhy = true, deviceReason([]error{e.Err}, devices.KindCamera)
	case media.DeviceFellBack:
		u.deviceFellBack(ac, e)
	}
	u.refreshCall()
}

// hangupTapped ends, cancels or closes the call on screen (button callback).
func (u *ui) hangupTapped() {
	ac := u.call
	if ac == nil {
		return
	}
	if ac.phase == phaseEnded {
		u.dropCall()
		return
	}
	msg := lang.L("Call cancelled")
	if !ac.answered.IsZero() {
		msg = lang.L("Call ended · {{.Duration}}", args{"Duration": spokenDuration(time.Since(ac.answered))})
	}
	if ac.phase == phaseDialing {
		// placeCall's result sees the call is gone and hangs it up.
		u.endCall(msg)
		return
	}
	u.hangupWith(u.phone(), msg)
}

// hangupWith hangs up in the background and ends the call screen now.
func (u *ui) hangupWith(ph *phone.Phone, msg string) {
	if ph != nil {
		u.goBG(func(ctx context.Context) { hangup(ctx, ph) })
	}
	u.endCall(msg)
}

// incoming rings for a new call.
func (u *ui) incoming(e *proto.BeCalling) {
	if u.call != nil && u.call.phase == phaseEnded {
		u.dropCall()
	}
	if u.call != nil || (u.ring != nil && u.ring.cid == e.CID) {
		return // busy here (another device may answer), or rung already
	}
	u.closeRingingDialog("")
	u.ring = newRingingDialog(u.win, e, u.accept, u.reject)
	u.ring.show()
	u.startRinging()
	if !u.focused {
		caller := args{"Name": displayName(e.Caller)}
		body := lang.L("{{.Name}} is calling you (audio)", caller)
		if e.Type == proto.CallTypeVideo {
			body = lang.L("{{.Name}} is calling you (video)", caller)
		}
		if e.Custom != "" {
			body = lang.L("{{.Call}}: {{.Note}}", args{"Call": body, "Note": e.Custom})
		}
		n := newNotification(lang.L("Incoming call from {{.Name}}", caller), body)
		u.app.SendNotification(n)
	}
}

// accept answers the ringing call, audio only when mode is audio (button callback).
func (u *ui) accept(mode proto.CallType) {
	r := u.ring
	ph := u.phone()
	if r == nil || ph == nil || u.conn.state == connReconnecting {
		return // the dialog stays and says why; Accept works once reconnected
	}
	u.stopRinging()
	u.closeRingingDialog("")
	ac := newActiveCall(r.caller, r.typ, false)
	ac.cid, ac.mode, ac.phase, ac.answered = r.cid, mode, phaseConnecting, time.Now()
	if mode == proto.CallTypeAudio {
		ac.camOn = false
	}
	u.showCall(ac)
	cid := r.cid
	u.goBG(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		if err := ph.Accept(ctx, cid, mode); err != nil {
			u.log.Info("answer failed", "cid", cid, "err", err)
			u.post(func() {
				if u.current(cid) == ac {
					u.endCall(acceptError(err))
				}
			})
		}
	})
}

// reject declines the ringing call (button callback).
func (u *ui) reject() {
	r := u.ring
	ph := u.phone()
	if r == nil {
		return
	}
	u.stopRinging()
	u.closeRingingDialog("")
	u.notice(lang.L("Declined the call from {{.Name}}", args{"Name": displayName(r.caller)}))

	if ph == nil {
		return
	}
	cid := r.cid
	if u.conn.state == connReconnecting {
		u.conn.decline = cid // sent once the connection is back
		return
	}
	u.goBG(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		if err := ph.Reject(ctx, cid); err != nil {
			u.log.Info("reject failed", "cid", cid, "err", err)
		}
	})
}

// endCall takes the call off the screen. An outgoing call that never got
// answered keeps its screen a moment to show why; otherwise the app goes
// back to the main view with msg as a notice.
func (u *ui) endCall(msg string) {
	ac := u.call
	if ac == nil {
		if msg != "" {
			u.notice(msg)
		}
		return
	}
	ac.stopGoroutines()
	if ac.outgoing && ac.answered.IsZero() && msg != "" && ac.phase != phaseEnded {
		ac.phase, ac.ended = phaseEnded, msg
		u.refreshCall()
		u.after(endedLinger, func() {
			if u.call == ac {
				u.dropCall()
				u.notice(msg)
			}
		})
		return
	}
	u.dropCall()
	if msg != "" {
		u.notice(msg)
	}
}

// endedLinger is how long an unanswered call's screen shows why it ended.
const endedLinger = 3 * time.Second

// dropCall removes the call screen at once.
func (u *ui) dropCall() {
	ac := u.call
	if ac == nil {
		return
	}
	ac.stopGoroutines()
	u.noteCallQuality(ac)
	u.leaveCompact()
	u.call = nil
	u.callView = nil
	if u.conn.state != connSignedOut {
		u.win.SetContent(u.main.root)
	}
}

func (ac *activeCall) stopGoroutines() {
	if ac.stop != nil {
		ac.stop()
		ac.stop = nil
	}
}
