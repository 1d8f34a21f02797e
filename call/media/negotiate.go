package media

import (
	"encoding/json"

	"github.com/pion/webrtc/v4"

	"duet/call"
	"duet/call/proto"
)

// hookPeerConnection connects Pion's callbacks. Each only posts or hands
// off: none blocks.
func (s *Session) hookPeerConnection() {
	s.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			s.relay("candidate", c.ToJSON())
		}
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
		// We were in the room first: we offer.
		s.offer()
	case *proto.RelayEvent:
		s.handleRelay(e)
	}
}

func (s *Session) offer() {
	offer, err := s.pc.CreateOffer(nil)
	if err == nil {
		err = s.pc.SetLocalDescription(offer)
	}
	if err != nil {
		s.log.Error("create offer", "err", err)
		return
	}
	s.relay("offer", offer)
	s.announceMedia()
}

func (s *Session) announceMedia() {
	s.mu.Lock()
	state := s.local
	s.mu.Unlock()
	s.relay("media", state)
}

func (s *Session) handleRelay(e *proto.RelayEvent) {
	switch e.Kind {
	case "offer", "answer":
		var desc webrtc.SessionDescription
		if err := json.Unmarshal(e.Payload, &desc); err != nil {
			s.log.Warn("bad session description from peer", "kind", e.Kind, "err", err)
			return
		}
		if err := s.pc.SetRemoteDescription(desc); err != nil {
			s.log.Warn("apply remote description", "kind", e.Kind, "err", err)
			return
		}
		s.remoteSet = true
		for _, c := range s.pendingCandidates {
			s.addCandidate(c)
		}
		s.pendingCandidates = nil
		if desc.Type == webrtc.SDPTypeOffer {
			s.answer()
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
		s.mu.Lock()
		s.peer = m
		s.mu.Unlock()
		s.emit(PeerMediaChanged{Audio: m.Audio, Video: m.Video})
	default:
		s.log.Debug("ignoring relay kind", "kind", e.Kind)
	}
}

func (s *Session) answer() {
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
