package media

import (
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/logging"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// How often the peer hears what arrived. A sender's window of bytes in
// flight must cover a feedback interval (estimator.window), and all that
// is in flight lands in the bottleneck's queue, ahead of the audio, when
// the capacity falls at once: at 2.5 Mbit/s every 25 ms of feedback
// interval is 0.4 s of late audio at 150 kbit/s. So at video rates the
// feedback comes every 25 ms, costing at most feedbackShare of what it
// reports on; slower links, where it would cost more, hear every 50 ms
// as libwebrtc's do at video rates.
const (
	feedbackIntervalLeast = 25 * time.Millisecond
	feedbackIntervalMost  = 50 * time.Millisecond
	// feedbackBits is a report on 25 ms of video, with its RTCP, SRTP,
	// UDP and IP headers.
	feedbackBits  = 100 * 8
	feedbackShare = 0.03
	// feedbackRateSpan is how much arriving media one rate measurement
	// spans.
	feedbackRateSpan = 250 * time.Millisecond
)

// feedbackInterval is how often a receiver getting bitsPerSecond reports.
func feedbackInterval(bitsPerSecond int) time.Duration {
	if bitsPerSecond <= 0 {
		return feedbackIntervalMost
	}
	d := time.Duration(float64(feedbackBits) / (feedbackShare * float64(bitsPerSecond)) * float64(time.Second))
	return min(max(d, feedbackIntervalLeast), feedbackIntervalMost)
}

// feedbackClock ticks transport-wide feedback at the interval that what
// arrives calls for. Safe for concurrent use.
type feedbackClock struct {
	mu     sync.Mutex
	ticker *time.Ticker  // guarded by mu; nil until feedback starts
	period time.Duration // guarded by mu
	bytes  int           // guarded by mu: arrived since from
	from   time.Time     // guarded by mu
}

func newFeedbackClock() *feedbackClock { return &feedbackClock{period: feedbackIntervalMost} }

// newTicker is the feedback's ticker, made once its first packet arrived.
func (c *feedbackClock) newTicker(time.Duration) twcc.Ticker {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ticker = time.NewTicker(c.period)
	return clockTicker{c.ticker}
}

// arrived counts a packet of n bytes and, once a rate span has passed,
// sets the interval from the rate over it.
func (c *feedbackClock) arrived(n int, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.from.IsZero() {
		c.from = now
	}
	c.bytes += n
	span := now.Sub(c.from)
	if span < feedbackRateSpan {
		return
	}
	period := feedbackInterval(int(float64(c.bytes*8) / span.Seconds()))
	c.bytes, c.from = 0, now
	if period == c.period {
		return
	}
	c.period = period
	if c.ticker != nil {
		c.ticker.Reset(period)
	}
}

type clockTicker struct{ *time.Ticker }

func (t clockTicker) Ch() <-chan time.Time { return t.C }

// feedbackFactory makes, for each peer connection, Pion's transport-wide
// feedback generator ticking on a clock of its own.
type feedbackFactory struct{ lf logging.LoggerFactory }

func (f feedbackFactory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	clock := newFeedbackClock()
	gen, err := twcc.NewSenderInterceptor(twcc.WithLoggerFactory(f.lf), twcc.SendTicker(clock.newTicker))
	if err != nil {
		return nil, err
	}
	i, err := gen.NewInterceptor(id)
	if err != nil {
		return nil, err
	}
	return &clockedFeedback{Interceptor: i, clock: clock}, nil
}

// clockedFeedback is the generator, shown every packet that arrives.
type clockedFeedback struct {
	interceptor.Interceptor
	clock *feedbackClock
}

func (f *clockedFeedback) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	return f.Interceptor.BindRemoteStream(info, interceptor.RTPReaderFunc(
		func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			n, a, err := r.Read(b, a)
			if err == nil {
				f.clock.arrived(n, time.Now())
			}
			return n, a, err
		}))
}

// configureFeedback negotiates transport-wide feedback for both kinds of
// media, as webrtc.ConfigureTWCCSender does, with the feedback on its
// adaptive clock.
func configureFeedback(me *webrtc.MediaEngine, reg *interceptor.Registry, lf logging.LoggerFactory) error {
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		me.RegisterFeedback(webrtc.RTCPFeedback{Type: webrtc.TypeRTCPFBTransportCC}, kind)
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, kind); err != nil {
			return err
		}
	}
	reg.Add(feedbackFactory{lf})
	return nil
}
