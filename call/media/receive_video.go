package media

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"duet/devices"
)

// pliInterval limits picture-loss requests: one key frame per interval is
// all a decoder needs to recover, and more would flood the sender's encoder.
const pliInterval = 500 * time.Millisecond

// receiveVideo assembles VP8 frames from RTP (see vp8Assembler), decodes them and stores the
// newest in the frame slot. It ends when the peer connection closes.
func (s *Session) receiveVideo(track *webrtc.TrackRemote) {
	defer s.wg.Done()
	dec, err := devices.NewVP8Decoder()
	if err != nil {
		s.log.Error("no video decoder; remote video will not show", "err", err)
		s.warn(err)
		return
	}
	defer dec.Close()
	pli := &pliLimiter{pc: s.pc, ssrc: uint32(track.SSRC()), sent: &s.counters.plis}
	s.videoPLI.Store(pli)
	defer s.videoPLI.Store(nil)
	pli.request() // a key frame now rather than at the sender's next interval
	frames := newVP8Assembler(s.path.horizon)
	first := true
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		s.counters.videoBytes.Add(uint64(len(pkt.Payload)))
		ready, skipped := frames.push(pkt, time.Now())
		if skipped {
			s.log.Debug("video packets lost for good; asking for a key frame", "seq", pkt.SequenceNumber)
			pli.request()
		}
		for _, sample := range ready {
			if r := s.rec.Load(); r != nil && !r.addVideo(sample) {
				// The recording has no key frame to start from yet: the
				// request at its start may have been lost, or limited.
				pli.request()
			}
			img, err := dec.Decode(sample.data)
			switch {
			case errors.Is(err, devices.ErrNoPicture):
				continue
			case err != nil:
				// Before the first picture the decoder is only waiting for
				// the key frame the PLI above asked for.
				if !first {
					s.counters.decodeErrors.Add(1)
				}
				s.log.Debug("video frame does not decode; asking for a key frame", "err", err)
				pli.request()
				continue
			}
			f := s.video.store(Frame{Image: img, Decoded: time.Now(), RTPTime: sample.timestamp, Received: len(sample.data)})
			s.counters.framesDecoded.Add(1)
			s.freezes.frame(f.Decoded)
			if s.cfg.OnFrame != nil {
				s.cfg.OnFrame(f)
			}
			if first {
				first = false
				b := img.Bounds()
				s.emit(FirstFrame{Width: b.Dx(), Height: b.Dy()})
			}
		}
	}
}

// pliLimiter sends picture loss indications, at most one per pliInterval.
type pliLimiter struct {
	pc   *webrtc.PeerConnection
	ssrc uint32
	sent *atomic.Uint64 // counts the requests sent
	mu   sync.Mutex
	last time.Time // guarded by mu
}

func (p *pliLimiter) request() {
	p.mu.Lock()
	if time.Since(p.last) < pliInterval {
		p.mu.Unlock()
		return
	}
	p.last = time.Now()
	p.mu.Unlock()
	p.sent.Add(1)
	p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: p.ssrc}})
}
