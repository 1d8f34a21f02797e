package media

import (
	"cmp"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/webrtc/v4"

	"duet/call/internal/pionlog"
)

// sendPath is a peer connection's way out: the bandwidth estimate and the
// pacer that holds what is sent to it.
type sendPath struct {
	pacer *pacer
	bwe   atomic.Pointer[estimator] // set when the peer connection is built
	fixed bool
	nacks *nackGenerator
	// rttNanos is the round trip of the media path, from ICE's checks;
	// 0 until measured.
	rttNanos     atomic.Int64
	baseRTTNanos atomic.Int64
}

// noteRTT takes a round-trip sample. The base RTT is the path without its
// queues: the least seen, let grow by 5 % a sample so that a new, longer
// path is learnt within a minute.
func (p *sendPath) noteRTT(rtt time.Duration) {
	p.rttNanos.Store(int64(rtt))
	base := time.Duration(p.baseRTTNanos.Load())
	if base == 0 || rtt < base+base/20 {
		base = rtt
	} else {
		base += base / 20
	}
	p.baseRTTNanos.Store(int64(base))
}

// baseRTT is the round trip without queueing: the bytes in flight are
// bounded by what the estimate carries in it, so a queue that builds in
// the network stops the video instead of growing.
func (p *sendPath) baseRTT() time.Duration {
	if d := time.Duration(p.baseRTTNanos.Load()); d > 0 {
		return d
	}
	return defaultRTT
}

// defaultRTT stands in until ICE has measured the path.
const defaultRTT = 100 * time.Millisecond

func (p *sendPath) rtt() time.Duration {
	return cmp.Or(p.measuredRTT(), defaultRTT)
}

// measuredRTT is the round trip ICE measured, or 0 before its first check.
func (p *sendPath) measuredRTT() time.Duration {
	return time.Duration(p.rttNanos.Load())
}

// horizon is how long a missing video packet may hold the frames behind
// it: long enough for the third ask's resend to arrive when the first
// two asks or their resends were lost too (at 2 % loss one lost packet
// in 25 needs a second ask, one in 600 a third), since giving it up costs
// a key frame, which takes longer still to come, and a longer freeze; not
// so long that the picture lags.
func (p *sendPath) horizon() time.Duration {
	return min(max(p.rtt()*3+60*time.Millisecond, 200*time.Millisecond), 400*time.Millisecond)
}

// newSendPath registers the interceptors, innermost (nearest the network)
// first: the estimator sees every packet at its real send time and the
// peer's transport-wide feedback; the transport-wide sequence number is
// given in send order; the pacer releases packets at a multiple of the
// estimate; the NACK responder, outside it, has its resends paced and
// budgeted; then the NACK generator, RTCP reports, the stats Pion's
// GetStats reads, and transport-wide feedback for the peer's own estimator
// (Chromium negotiates transport-cc when offered).
//
// With fixed set (loopback, the echo) the estimate stays at its maximum
// (see estimator.fixed).
func newSendPath(me *webrtc.MediaEngine, reg *interceptor.Registry, log *slog.Logger, fixed bool) (*sendPath, error) {
	p := &sendPath{fixed: fixed}
	p.nacks = newNACKGenerator(p.measuredRTT, p.horizon)
	lf := pionlog.Factory{Log: log}
	p.pacer = newPacer(p.target, p.windowOpen, p)
	ccf, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return newEstimator(p.pacer.sentRate, p.baseRTT, log, fixed)
	})
	if err != nil {
		p.pacer.Close()
		return nil, err
	}
	ccf.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) {
		if est, ok := e.(*estimator); ok {
			p.bwe.Store(est)
		}
	})
	reg.Add(ccf)
	steps := []func() error{
		func() error { return webrtc.ConfigureTWCCHeaderExtensionSender(me, reg) },
		func() error { reg.Add(pacerFactory{p.pacer}); return nil },
		func() error {
			responder, err := nack.NewResponderInterceptor(nack.WithResponderLoggerFactory(lf))
			if err != nil {
				return err
			}
			reg.Add(nackResponderFactory{responder})
			reg.Add(nackGeneratorFactory{p.nacks})
			return nil
		},
		func() error {
			return webrtc.ConfigureRTCPReportsWithOptions(reg, []report.ReceiverOption{report.WithReceiverLoggerFactory(lf)},
				report.WithSenderLoggerFactory(lf))
		},
		func() error { return webrtc.ConfigureStatsInterceptorWithOptions(reg, stats.WithLoggerFactory(lf)) },
		func() error { return configureFeedback(me, reg, lf) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			p.pacer.Close()
			return nil, err
		}
	}
	return p, nil
}

// nextProbe passes the pacer's question to the estimator, once there is one.
func (p *sendPath) nextProbe(now time.Time) (id, rate int) {
	if e := p.bwe.Load(); e != nil {
		return e.nextProbe(now)
	}
	return 0, 0
}

func (p *sendPath) probeSent(id, bytes int, span time.Duration) {
	if e := p.bwe.Load(); e != nil {
		e.probeSent(id, bytes, span)
	}
}

// target is the estimate in bits/s, the starting one until the first
// feedback.
func (p *sendPath) target() int {
	if e := p.bwe.Load(); e != nil {
		return e.GetTargetBitrate()
	}
	if p.fixed {
		return maxBitrate
	}
	return startBitrate
}

// sentLoss is the share of what we send that the peer reports lost, 0–1;
// none before the first feedback or where the estimate is fixed.
func (p *sendPath) sentLoss() float64 {
	if e := p.bwe.Load(); e != nil && !e.fixed {
		return e.loss()
	}
	return 0
}

// windowOpen says whether more video may enter the network: the bytes in
// flight are within what the estimate carries in a round trip.
func (p *sendPath) windowOpen() bool {
	e := p.bwe.Load()
	// A window smaller than the frame waiting would only make the encoder
	// skip more frames and make the next ones bigger still; so a frame
	// larger than the window (a key frame) goes, but only it: the frames
	// after it meet the window again, which a capacity that has just
	// dropped needs.
	return e == nil || e.fixed || e.flying.load() < max(e.window(p.baseRTT()), p.pacer.headFrameBytes()*3/2)
}

// congested says the video encoder should skip frames: its packets are
// waiting in the pacer, the network holds all it should, or the media
// has run ahead of the estimate.
func (p *sendPath) congested() bool {
	return p.pacer.videoBacklog() > pushbackDelay || !p.windowOpen() || (!p.fixed && p.pacer.overspent())
}

// pushbackDelay is how long video may wait in the pacer before the encoder
// skips frames: a frame not encoded costs nothing, one dropped later
// breaks the picture until the next key frame.
const pushbackDelay = 100 * time.Millisecond

// sentBytes is everything sent so far, resends and probes included,
// headers included.
func (p *sendPath) sentBytes() uint64 {
	return p.pacer.stats.mediaBytes.Load() + p.pacer.stats.resendBytes.Load() + p.pacer.stats.paddingBytes.Load()
}
