package media

import (
	"time"

	"github.com/pion/webrtc/v4"
)

// restartState is the owner goroutine's view of the media path and of an
// ICE restart under way. Only the owner touches it.
//
// When ICE stays disconnected for RestartAfter, or fails, the side that
// made the first offer sends an offer with new ICE credentials; the peer
// answers, both gather and trickle new candidates, and the existing DTLS
// session, tracks and receivers carry on over the new path. Until ICE
// connects, attempts repeat with backoff: an unanswered offer is sent again
// (signaling may have been down), a restart that failed is replaced by a
// new one. Either side may also restart through RestartICE; offers that
// cross are settled by role: the first offerer keeps its own, the other
// side drops its own and answers.
type restartState struct {
	cfg       ICEConfig
	ice       webrtc.ICEConnectionState
	downSince time.Time // when the path was lost; zero while it works
	wanted    bool      // attempts go on until ICE connects
	attempt   int       // attempts since the path was lost
	last      time.Time // the last restart, ours or the peer's
	count     int       // restarts in this call, ours and the peer's

	// offer is our restart offer, sent and not yet applied. Pion cannot roll
	// back a local offer (pion/webrtc#2416), so a restart offer is applied
	// only together with its answer: until then the signaling state stays
	// stable and a crossing offer from the peer can still be answered.
	offer *webrtc.SessionDescription

	timer *time.Timer // the disconnected grace, then the next attempt
}

func (r *restartState) connected() bool {
	return r.ice == webrtc.ICEConnectionStateConnected || r.ice == webrtc.ICEConnectionStateCompleted
}

// RestartICE restarts ICE at once unless the media path works. The phone
// calls it when its signaling connection is back after a loss, so that a
// restart that could not be sent goes out now rather than at the next
// retry. Either side may call it; it does nothing before the first
// negotiation.
func (s *Session) RestartICE() {
	s.post(func() { s.requestRestart("requested", false) })
}

// requestRestart restarts ICE now; unless forced, only while the path is down.
func (s *Session) requestRestart(reason string, force bool) {
	if (s.restart.connected() && !force) || s.pc.CurrentRemoteDescription() == nil {
		s.log.Debug("no ice restart needed", "reason", reason, "ice", s.restart.ice)
		return
	}
	s.pathLost()
	s.beginRestart(reason)
}

// autoRestart: this side restarts on its own when the path is lost.
func (s *Session) autoRestart() bool {
	return s.role == roleOfferer && s.restart.cfg.RestartAfter >= 0
}

func (s *Session) iceStateChanged(state webrtc.ICEConnectionState) {
	r := &s.restart
	r.ice = state
	s.log.Info("ice connection", "state", state)
	switch state {
	case webrtc.ICEConnectionStateConnected, webrtc.ICEConnectionStateCompleted:
		r.timer.Stop()
		if !r.downSince.IsZero() {
			down := time.Since(r.downSince)
			s.log.Info("ice reconnected", "down", down, "attempts", r.attempt)
			s.emit(ICEReconnected{Down: down, Attempts: r.attempt})
		}
		r.downSince, r.wanted, r.attempt = time.Time{}, false, 0
	case webrtc.ICEConnectionStateDisconnected:
		s.pathLost()
		if !r.wanted && s.autoRestart() {
			// It may come back by itself: a moment's loss needs no restart.
			r.timer.Reset(r.cfg.RestartAfter)
		}
	case webrtc.ICEConnectionStateFailed:
		s.pathLost()
		if !r.wanted && s.autoRestart() {
			s.beginRestart("ice failed")
		}
	}
}

func (s *Session) pathLost() {
	if s.restart.downSince.IsZero() {
		s.restart.downSince = time.Now()
	}
}

// restartTimerFired ends the disconnected grace or starts the next attempt.
func (s *Session) restartTimerFired() {
	r := &s.restart
	switch {
	case r.connected():
	case r.wanted:
		s.attemptRestart("retry")
	case s.autoRestart() && (r.ice == webrtc.ICEConnectionStateDisconnected || r.ice == webrtc.ICEConnectionStateFailed):
		s.beginRestart("ice disconnected")
	}
}

func (s *Session) beginRestart(reason string) {
	s.restart.wanted = true
	s.restart.attempt = 0
	s.attemptRestart(reason)
}

func (s *Session) attemptRestart(reason string) {
	r := &s.restart
	if st := s.pc.SCTP().Transport().State(); st == webrtc.DTLSTransportStateClosed || st == webrtc.DTLSTransportStateFailed {
		// A new path cannot revive a DTLS session that failed or ended.
		s.log.Info("no ice restart: the media session is over", "dtls", st)
		r.wanted = false
		return
	}
	r.attempt++
	if r.offer == nil && r.ice == webrtc.ICEConnectionStateChecking && time.Since(r.last) < r.cfg.RestartRetry {
		// The last restart is still checking its new candidates.
	} else {
		s.pushRestartOffer(reason)
	}
	r.timer.Reset(r.cfg.retryDelay(r.attempt))
}

// pushRestartOffer gets a restart offer to the peer: our unanswered one
// again (signaling was down, or the answer was lost) while our agent still
// works on it, else a new one. A failed agent has dropped its candidates
// and checks nothing: only new credentials revive it.
func (s *Session) pushRestartOffer(reason string) {
	if s.restart.offer != nil && s.restart.ice != webrtc.ICEConnectionStateFailed {
		s.resendRestartOffer()
		return
	}
	s.offerRestart(reason)
}

// offerRestart sends an offer with new ICE credentials. CreateOffer
// restarts our agent and its gathering at once; the offer itself is
// applied when the answer comes (see restartState.offer).
func (s *Session) offerRestart(reason string) {
	if err := keepDescribedCodecs(s.pc); err != nil {
		s.log.Warn("ice restart offer: keep codecs", "err", err)
	}
	offer, err := s.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		s.log.Warn("create ice restart offer", "err", err)
		return
	}
	r := &s.restart
	r.offer = &offer
	// The restart offer carries our transceivers as they are now: a
	// renegotiation offer still unanswered is superseded, and an answer
	// to it is stale (it has the old credentials).
	s.upgrade.offer = nil
	r.last = time.Now()
	r.count++
	s.localCands = nil
	s.log.Info("ice restart", "attempt", r.attempt, "reason", reason, "role", s.role)
	s.emit(ICERestarting{Attempt: r.attempt, Reason: reason})
	s.relay("offer", offer)
}

// resendRestartOffer repeats our unanswered restart offer and its
// candidates, unless an offer is still waiting for the signaler: while a
// relay hangs, copies must not pile up.
func (s *Session) resendRestartOffer() {
	if s.offersQueued.Load() > 0 {
		s.log.Debug("ice restart offer still queued")
		return
	}
	s.log.Info("ice restart: offer sent again", "attempt", s.restart.attempt)
	s.relay("offer", *s.restart.offer)
	s.resendCandidates()
}

// peerRestarted: we answered the peer's restart offer.
func (s *Session) peerRestarted() {
	r := &s.restart
	r.attempt++
	r.last = time.Now()
	r.count++
	s.log.Info("ice restart", "attempt", r.attempt, "reason", "peer offer", "role", s.role)
	s.emit(ICERestarting{Attempt: r.attempt, ByPeer: true, Reason: "peer offer"})
	s.pathLost()
}

// restartNegotiated: the peer answered our restart offer. The new checks
// get a full retry interval before the next attempt.
func (s *Session) restartNegotiated() {
	r := &s.restart
	r.last = time.Now()
	s.log.Info("ice restart negotiated", "attempt", r.attempt)
	if r.wanted {
		r.timer.Reset(r.cfg.retryDelay(r.attempt))
	}
	s.renegotiate()
}
