package media

import (
	"encoding/json"

	"github.com/pion/webrtc/v4"

	"duet/call"
	"duet/call/proto"
)

// role is a side's part in negotiation, fixed by the first offer. The side
// that made it restarts ICE on its own and wins an offer collision
// (impolite); the other yields (polite).
type role int

const (
	roleUnknown role = iota
	roleOfferer
	roleAnswerer
)

func (r role) String() string {
	switch r {
	case roleOfferer:
		return "offerer"
	case roleAnswerer:
		return "answerer"
	}
	return "unknown"
}

// hookPeerConnection connects Pion's callbacks. Each only posts or hands
// off: none blocks.
func (s *Session) hookPeerConnection() {
	s.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			init := c.ToJSON()
			// Through the owner, so a candidate never overtakes the
			// description it belongs to, restart offers included.
			s.post(func() { s.localCandidate(init) })
		}
	})
	s.pc.OnICEConnectionStateChange(func(state webrtc.ICEConnectionState) {
		s.post(func() { s.iceStateChanged(state) })
	})
	s.pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		s.log.Info("peer connection", "state", state)
		s.emit(ConnectionChanged{State: state})
	})
	s.pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return
		}
		s.wg.Add(1)
		switch {
		case s.echoes != nil:
			go s.echo(track)
		case track.Kind() == webrtc.RTPCodecTypeVideo:
			go s.receiveVideo(track)
		default:
			go s.receiveAudio(track)
		}
	})
}

// handle applies one signaling event; it runs on the owner goroutine.
func (s *Session) handle(ev call.Event) {
	switch e := ev.(type) {
	case *proto.ClientJoin:
		s.peerJoined()
	case *proto.RelayEvent:
		s.handleRelay(e)
	}
}

// peerJoined: we were in the room first, or the peer is back after losing
// its signaling connection. Either way it waits for our offer.
func (s *Session) peerJoined() {
	switch {
	case s.role == roleUnknown:
		s.offer()
	case s.pc.CurrentRemoteDescription() == nil:
		// Our first offer is unanswered: the peer may never have had it.
		if d := s.pc.LocalDescription(); d != nil {
			s.relay("offer", *d)
		}
	default:
		// The protocol calls for a fresh offer: one with new ICE
		// credentials, since the peer may be on another network now.
		s.requestRestart("peer rejoined", true)
	}
}

// offer makes the first offer of the call.
func (s *Session) offer() {
	offer, err := s.pc.CreateOffer(nil)
	if err == nil {
		err = s.pc.SetLocalDescription(offer)
	}
	if err != nil {
		s.log.Error("create offer", "err", err)
		return
	}
	s.role = roleOfferer
	s.relay("offer", offer)
	s.announceMedia()
}

func (s *Session) announceMedia() {
	s.mu.Lock()
	state := s.local
	s.mu.Unlock()
	s.relay("media", state)
	s.announceRecording()
}

func (s *Session) handleRelay(e *proto.RelayEvent) {
	switch e.Kind {
	case "offer", "answer":
		var desc webrtc.SessionDescription
		if err := json.Unmarshal(e.Payload, &desc); err != nil {
			s.log.Warn("bad session description from peer", "kind", e.Kind, "err", err)
			return
		}
		if desc.Type.String() != e.Kind {
			s.log.Warn("session description of the wrong type from peer", "kind", e.Kind, "type", desc.Type)
			return
		}
		if desc.Type == webrtc.SDPTypeOffer {
			s.remoteOffer(desc)
		} else {
			s.remoteAnswer(desc)
		}
	case "candidate":
		var c webrtc.ICECandidateInit
		if err := json.Unmarshal(e.Payload, &c); err != nil {
			s.log.Warn("bad candidate from peer", "err", err)
			return
		}
		if !s.remoteSet {
			// Trickled candidates can overtake the description they belong to.
			s.pendingCandidates = append(s.pendingCandidates, c)
			return
		}
		s.addCandidate(c)
	case "media":
		var m mediaState
		if err := json.Unmarshal(e.Payload, &m); err != nil {
			s.log.Warn("bad media state from peer", "err", err)
			return
		}
		ask := m.Ask
		m.Ask = false
		s.mu.Lock()
		wasVideo := s.peer.Video
		s.peer = m
		s.mu.Unlock()
		if wasVideo && !m.Video {
			// The peer's video may stop altogether (a camera turned off
			// in a call that began as audio): the pause is no freeze.
			s.freezes.pause()
		}
		s.emit(PeerMediaChanged{Audio: m.Audio, Video: m.Video, Screen: m.Screen})
		if ask {
			s.announceMedia()
		}
	case "recording":
		s.peerRecordingRelay(e.Payload)
	default:
		s.log.Debug("ignoring relay kind", "kind", e.Kind)
	}
}

// remoteOffer answers the peer's offer: the first one, an ICE restart, or a
// repeat of one already answered (our answer may have been lost).
func (s *Session) remoteOffer(desc webrtc.SessionDescription) {
	if s.upgrade.offer != nil {
		// Both sides renegotiated at once (both cameras turned on): perfect
		// negotiation's roles settle it, as for restarts.
		if s.role != roleAnswerer {
			s.log.Info("offer collision: keeping our renegotiation offer")
			return
		}
		s.log.Info("offer collision: yielding to the peer's offer; ours follows its answer")
		s.upgrade.offer = nil
	}
	if s.restart.offer != nil {
		// Both sides offered at once.
		if s.role != roleAnswerer {
			s.log.Info("offer collision: keeping our restart offer")
			// The peer is reachable and wants a restart: make sure it has ours.
			s.pushRestartOffer("offer collision")
			return
		}
		s.log.Info("offer collision: yielding to the peer's offer")
		s.restart.offer = nil
	}
	if s.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		// Only a peer breaking the who-offers rule gets here, and Pion cannot
		// roll back our first offer: it stands.
		s.log.Warn("offer collision on the first offer: ignoring the peer's")
		return
	}
	prev := s.remoteUfrag()
	if err := s.pc.SetRemoteDescription(desc); err != nil {
		s.log.Warn("apply remote offer", "err", err)
		return
	}
	if s.role == roleUnknown {
		s.role = roleAnswerer
	}
	restarted := prev != "" && iceUfrag(desc.SDP) != prev
	if restarted {
		// Applying it restarted our agent too: new candidates follow.
		s.localCands = nil
	}
	s.remoteApplied()
	s.answer()
	switch {
	case restarted:
		s.peerRestarted()
	case prev != "":
		// A repeat or a renegotiation: the candidates that followed our
		// answer may be lost too.
		s.resendCandidates()
	}
	// What the answer could not carry (a track the peer's offer had no
	// section for, or one we yielded in a collision) is offered now.
	s.renegotiate()
}

// remoteAnswer applies the answer to our first offer or to a restart offer.
func (s *Session) remoteAnswer(desc webrtc.SessionDescription) {
	restart := s.restart.offer
	if restart == nil {
		if s.upgrade.offer != nil {
			s.renegotiationAnswered(desc)
			return
		}
		if s.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
			s.log.Debug("ignoring an answer to no offer: a repeat of one applied")
			return
		}
		if s.applyAnswer(desc) {
			s.renegotiate()
		}
		return
	}
	if u := iceUfrag(desc.SDP); u == "" || u == s.remoteUfrag() {
		// An answer to a restart brings new credentials; this one answers
		// an offer already settled.
		s.log.Debug("ignoring a stale answer")
		return
	}
	s.restart.offer = nil
	if err := s.pc.SetLocalDescription(*restart); err != nil {
		s.log.Warn("apply own restart offer", "err", err)
		return
	}
	if s.applyAnswer(desc) {
		s.restartNegotiated()
	}
}

func (s *Session) applyAnswer(desc webrtc.SessionDescription) bool {
	if err := s.pc.SetRemoteDescription(desc); err != nil {
		s.log.Warn("apply remote answer", "err", err)
		return false
	}
	s.remoteApplied()
	return true
}

// remoteApplied adds the candidates that arrived ahead of the description.
func (s *Session) remoteApplied() {
	s.remoteSet = true
	for _, c := range s.pendingCandidates {
		s.addCandidate(c)
	}
	s.pendingCandidates = nil
}

func (s *Session) remoteUfrag() string {
	if d := s.pc.RemoteDescription(); d != nil {
		return iceUfrag(d.SDP)
	}
	return ""
}

func (s *Session) answer() {
	if err := keepDescribedCodecs(s.pc); err != nil {
		s.log.Warn("answer: keep codecs", "err", err)
	}
	answer, err := s.pc.CreateAnswer(nil)
	if err == nil {
		err = s.pc.SetLocalDescription(answer)
	}
	if err != nil {
		s.log.Error("create answer", "err", err)
		return
	}
	s.relay("answer", answer)
	s.announceMedia()
}

func (s *Session) addCandidate(c webrtc.ICECandidateInit) {
	if err := s.pc.AddICECandidate(c); err != nil {
		s.log.Warn("add remote candidate", "err", err)
	}
}

// localCandidate trickles one of our candidates and keeps it, to send again
// with a repeated description.
func (s *Session) localCandidate(c webrtc.ICECandidateInit) {
	s.localCands = append(s.localCands, c)
	s.relay("candidate", c)
}

// resendCandidates sends this ICE generation's candidates again; the peer
// ignores those it has and those of other generations.
func (s *Session) resendCandidates() {
	for _, c := range s.localCands {
		s.relay("candidate", c)
	}
}
