package media

import (
	"github.com/pion/webrtc/v4"

	"duet/call/proto"
)

// SetICEServers replaces the STUN/TURN servers, e.g. with the fresh TURN
// credentials of the startRtc reply. Called before negotiation starts, the
// first gathering uses them; later, the next ICE restart does. Applied on
// the owner goroutine, in order with Handle.
func (s *Session) SetICEServers(servers []proto.ICEServer) {
	s.post(func() {
		conf := s.pc.GetConfiguration()
		conf.ICEServers = iceServers(servers)
		if err := s.pc.SetConfiguration(conf); err != nil {
			s.log.Warn("update ICE servers", "err", err)
		}
	})
}

// selectedCandidateTypes reports the types of the candidate pair ICE
// selected (host, srflx, prflx, relay), or unknown before it selects one.
func (s *Session) selectedCandidateTypes() (local, remote webrtc.ICECandidateType) {
	for _, tr := range s.pc.GetTransceivers() {
		var dtls *webrtc.DTLSTransport
		if r := tr.Receiver(); r != nil {
			dtls = r.Transport()
		}
		if dtls == nil {
			continue
		}
		pair, err := dtls.ICETransport().GetSelectedCandidatePair()
		if err != nil || pair == nil || pair.Local == nil || pair.Remote == nil {
			continue
		}
		return pair.Local.Typ, pair.Remote.Typ
	}
	return webrtc.ICECandidateTypeUnknown, webrtc.ICECandidateTypeUnknown
}
