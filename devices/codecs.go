package devices

import (
	"fmt"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/webrtc/v4"
)

// Payload types of Duet's own offers. A peer's offer may number the codecs
// otherwise (Firefox: VP8 120, Opus 109); Duet's senders packetize with
// whatever the call negotiated (see Encoder), never with mediadevices'
// fixed numbers.
const (
	VP8PayloadType  webrtc.PayloadType = 96
	OpusPayloadType webrtc.PayloadType = 111
)

// RegisterCodecs registers VP8 and Opus on a PeerConnection's MediaEngine,
// with the RTCP feedback (NACK, PLI, FIR, REMB) that lets the interceptors
// retransmit and the receiver ask for key frames. Use it on both sides of a
// call, also when this side sends nothing (it still has to receive).
func RegisterCodecs(m *webrtc.MediaEngine) error {
	videoFB := []webrtc.RTCPFeedback{
		{Type: webrtc.TypeRTCPFBGoogREMB},
		{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
		{Type: webrtc.TypeRTCPFBNACK},
		{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFB,
		},
		PayloadType: VP8PayloadType,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return fmt.Errorf("register VP8: %w", err)
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1",
		},
		PayloadType: OpusPayloadType,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("register Opus: %w", err)
	}
	return nil
}

// newCodecSelector builds the encoders a Capture's tracks use, and returns
// the Opus one too, for the Capture's audio controls.
//
// VP8 is tuned for a call rather than for mediadevices' defaults: an explicit
// bitrate (the default is 100 kbps), constant bitrate with a bounded
// quantiser so a burst of motion does not flood the link, no look-ahead
// (lag 0, realtime deadline) for latency, error-resilient mode so a lost
// packet damages less, and a key frame every three seconds so a receiver that
// missed one recovers even if its PLI is lost.
//
// Opus is Duet's own libopus encoder (opusBuilder): 48 kHz mono, 20 ms
// packets, VOIP mode, in-band FEC as soon as loss is reported.
func newCodecSelector(cfg CaptureConfig) (*mediadevices.CodecSelector, *opusBuilder, error) {
	vp8, err := newVP8Params(cfg.VideoBitrate, cfg.FPS)
	if err != nil {
		return nil, nil, err
	}
	op, err := newOpusBuilder(cfg.AudioBitrate)
	if err != nil {
		return nil, nil, err
	}
	return mediadevices.NewCodecSelector(
		mediadevices.WithVideoEncoders(&vp8),
		mediadevices.WithAudioEncoders(op),
	), op, nil
}

func newVP8Params(bitrate, fps int) (vpx.VP8Params, error) {
	p, err := vpx.NewVP8Params()
	if err != nil {
		return vpx.VP8Params{}, fmt.Errorf("vp8 params: %w", err)
	}
	p.BitRate = bitrate
	p.KeyFrameInterval = 3 * fps
	p.RateControlEndUsage = vpx.RateControlCBR
	p.RateControlMinQuantizer = 4
	p.RateControlMaxQuantizer = 56
	p.RateControlUndershootPercent = 100
	p.RateControlOvershootPercent = 15
	p.LagInFrames = 0
	p.ErrorResilient = vpx.ErrorResilientDefault
	return p, nil
}
