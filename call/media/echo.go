package media

import (
	"fmt"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"duet/call/proto"
)

// echoTracks sends back what the peer sends: each received RTP packet is
// written unchanged to a local track of the same kind, so the caller sees
// and hears themselves through a real network path and both codecs. Key
// frame requests from the caller are passed upstream to the caller's own
// encoder, the only one there is.
type echoTracks struct {
	audio, video *webrtc.TrackLocalStaticRTP
}

func newEchoTracks(typ proto.CallType) (*echoTracks, error) {
	var e echoTracks
	var err error
	e.audio, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus,
		ClockRate: 48000, Channels: 2}, "audio", "echo")
	if err != nil {
		return nil, fmt.Errorf("echo audio track: %w", err)
	}
	if typ == proto.CallTypeVideo {
		e.video, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8,
			ClockRate: 90000}, "video", "echo")
		if err != nil {
			return nil, fmt.Errorf("echo video track: %w", err)
		}
	}
	return &e, nil
}

func (e *echoTracks) track(kind webrtc.RTPCodecType) *webrtc.TrackLocalStaticRTP {
	if kind == webrtc.RTPCodecTypeVideo {
		return e.video
	}
	return e.audio
}

// echo forwards a received track to its echo until the peer connection
// closes; for video it also forwards key frame requests upstream.
func (s *Session) echo(remote *webrtc.TrackRemote) {
	defer s.wg.Done()
	local := s.echoes.track(remote.Kind())
	if local == nil {
		return
	}
	if remote.Kind() == webrtc.RTPCodecTypeVideo {
		// The caller's decoder needs a key frame to start.
		s.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(remote.SSRC())}})
	}
	for {
		pkt, _, err := remote.ReadRTP()
		if err != nil {
			return
		}
		if remote.Kind() == webrtc.RTPCodecTypeVideo {
			s.counters.videoBytes.Add(uint64(len(pkt.Payload)))
		} else {
			s.counters.audioBytes.Add(uint64(len(pkt.Payload)))
		}
		local.WriteRTP(pkt) // a failed write is a lost packet, as on any network
	}
}

// relayKeyFrameRequests reads RTCP arriving for an echo sender and turns
// picture loss indications into requests to the peer's own sender.
func (s *Session) relayKeyFrameRequests(sender *webrtc.RTPSender) {
	defer s.wg.Done()
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				for _, r := range s.pc.GetReceivers() {
					if t := r.Track(); t != nil && t.Kind() == webrtc.RTPCodecTypeVideo {
						s.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(t.SSRC())}})
					}
				}
			}
		}
	}
}
