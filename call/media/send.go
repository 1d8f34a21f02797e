package media

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"duet/devices"
)

// keyFrameMinInterval spaces the key frames a peer's requests force: a
// receiver repeats its request until a key frame gets through, and one
// that asked again before the last one arrived needs no second.
const keyFrameMinInterval = 400 * time.Millisecond

// sender carries one medium of the capture to the peer: it reads encoded
// frames and writes them to a sample track, which packetizes them with the
// payload type and SSRC this call negotiated (whoever offered, whatever
// numbers the offer used).
type sender struct {
	kind  webrtc.RTPCodecType
	enc   *devices.Encoder
	track *sampleTrack

	lastKeyFrame atomic.Int64 // unix nanoseconds of the last forced key frame
	keyFrames    atomic.Uint64
}

// sampleTrack is pion's sample track that forces a key frame when the peer
// connection binds it: frames encoded before the call connected went
// nowhere, and the receiver cannot start without one.
type sampleTrack struct {
	*webrtc.TrackLocalStaticSample
	onBind func()
}

func (t *sampleTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	p, err := t.TrackLocalStaticSample.Bind(ctx)
	if err == nil {
		t.onBind()
	}
	return p, err
}

// newSender starts an encoder of kind on the capture; nil when the capture
// lacks that medium.
func newSender(c *devices.Capture, kind webrtc.RTPCodecType) (*sender, error) {
	var (
		enc *devices.Encoder
		err error
		cap webrtc.RTPCodecCapability
	)
	switch kind {
	case webrtc.RTPCodecTypeVideo:
		if c.VideoTrack() == nil {
			return nil, nil
		}
		enc, err = c.NewVideoEncoder()
		cap = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	default:
		if c.AudioTrack() == nil {
			return nil, nil
		}
		enc, err = c.NewAudioEncoder()
		cap = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	}
	if err != nil {
		return nil, err
	}
	track, err := webrtc.NewTrackLocalStaticSample(cap, kind.String(), c.StreamID())
	if err != nil {
		enc.Close()
		return nil, fmt.Errorf("%s track: %w", kind, err)
	}
	s := &sender{kind: kind, enc: enc}
	s.track = &sampleTrack{TrackLocalStaticSample: track, onBind: s.enc.ForceKeyFrame}
	return s, nil
}

// pump sends encoded frames until the capture closes, then frees the
// encoder. A frame written before the track is bound, or while the
// transport is down, is dropped as a network would drop it.
func (s *sender) pump() {
	defer s.enc.Close()
	for {
		data, d, err := s.enc.Read()
		if err != nil {
			return
		}
		_ = s.track.WriteSample(pionmedia.Sample{Data: data, Duration: d})
	}
}

// readRTCP serves the peer's feedback on this sender until the peer
// connection closes. Pion's interceptors (retransmissions, reports, the
// bandwidth estimate) see it on the way; key frame requests are ours.
func (s *sender) readRTCP(r *webrtc.RTPSender) {
	for {
		pkts, _, err := r.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.keyFrameRequested(time.Now())
			}
		}
	}
}

// keyFrameRequested forces a key frame unless one was forced moments ago.
func (s *sender) keyFrameRequested(now time.Time) {
	last := s.lastKeyFrame.Load()
	if now.UnixNano()-last < int64(keyFrameMinInterval) {
		return
	}
	if s.lastKeyFrame.CompareAndSwap(last, now.UnixNano()) {
		s.keyFrames.Add(1)
		s.enc.ForceKeyFrame()
	}
}
