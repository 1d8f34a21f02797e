package media

import (
	"fmt"
	"math"
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
	enc   frameEncoder
	video *devices.VideoEncoder // the same encoder when kind is video, for its layer
	track *sampleTrack

	lastKeyFrame atomic.Int64 // unix nanoseconds of the last forced key frame
	keyFrames    atomic.Uint64
	lossPct      float64 // the reported loss, smoothed; owned by readRTCP
}

// frameEncoder is a capture's encoder of one medium.
type frameEncoder interface {
	Read() ([]byte, time.Duration, error)
	ForceKeyFrame()
	SetBitRate(bps int)
	Close() error
}

// lossReporter is an encoder that protects its packets according to the
// loss the receiver reports (Opus' in-band FEC).
type lossReporter interface{ SetPacketLoss(pct int) }

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
	s := &sender{kind: kind}
	var cap webrtc.RTPCodecCapability
	switch kind {
	case webrtc.RTPCodecTypeVideo:
		if c.VideoTrack() == nil {
			return nil, nil
		}
		v, err := c.NewVideoEncoder()
		if err != nil {
			return nil, err
		}
		s.enc, s.video = v, v
		cap = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	default:
		if c.AudioTrack() == nil {
			return nil, nil
		}
		a, err := c.NewAudioEncoder()
		if err != nil {
			return nil, err
		}
		s.enc = a
		cap = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	}
	track, err := webrtc.NewTrackLocalStaticSample(cap, kind.String(), c.StreamID())
	if err != nil {
		s.enc.Close()
		return nil, fmt.Errorf("%s track: %w", kind, err)
	}
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
// bandwidth estimate) see it on the way; key frame requests and the loss
// the receiver reports are ours.
func (s *sender) readRTCP(r *webrtc.RTPSender) {
	var ssrc webrtc.SSRC
	if enc := r.GetParameters().Encodings; len(enc) > 0 {
		ssrc = enc[0].SSRC
	}
	for {
		pkts, _, err := r.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.keyFrameRequested(time.Now())
			case *rtcp.ReceiverReport:
				s.lossReported(p.Reports, ssrc)
			case *rtcp.SenderReport:
				s.lossReported(p.Reports, ssrc)
			}
		}
	}
}

// lossReported passes the receiver's loss to an encoder that can protect
// against it: at once when it rises, slowly as it falls, since loss comes
// in bursts and the protection must be in place before the next one.
func (s *sender) lossReported(reports []rtcp.ReceptionReport, ssrc webrtc.SSRC) {
	lr, ok := s.enc.(lossReporter)
	if !ok {
		return
	}
	for _, rep := range reports {
		if webrtc.SSRC(rep.SSRC) != ssrc {
			continue
		}
		pct := float64(rep.FractionLost) * 100 / 256
		s.lossPct = max(pct, 0.7*s.lossPct)
		lr.SetPacketLoss(int(math.Ceil(s.lossPct)))
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
