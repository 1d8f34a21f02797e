package media

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// Pacing. Video leaves at a multiple of the estimate, so a key frame
// reaches the bottleneck as a stream rather than a burst; audio never waits.
// Whatever the encoder does, the queue stays bounded: beyond
// maxQueuedPackets new packets are refused; long before that the encoder
// skips frames (see sendPath.congested).
const (
	pacingFactor      = 2.5
	minPacingRate     = 300_000 // bits/s: a small estimate must not starve a frame
	pacingInterval    = 5 * time.Millisecond
	maxQueuedPackets  = 1024
	maxBurstIntervals = 2 // tokens saved while idle, in pacing intervals
	// A retransmission older than this cannot be played any more: the
	// receiver's jitter buffer has moved on.
	maxResendAge = time.Second
	// sendWindow is the span over which a retransmission must fit under
	// the estimate together with the media.
	sendWindow = time.Second
	// resendAllowance: resends within this share of the estimate go even
	// when the encoder's overshoot has filled the window. Dropping one
	// costs a key frame, many times its size; the encoder pays for it by
	// skipping a frame (spent). On a narrow link the allowance is less
	// than one packet, so congestion gets no resend past the estimate.
	resendAllowance = 0.08
)

var errPacerFull = errors.New("pacer queue full")

// pacer is the send queue between the encoders and the network, an
// interceptor registered outside the transport-wide sequence numbering so
// that numbers follow the real send order and the estimator sees real send
// times. It also keeps retransmissions within the estimate: a resend that
// would push the last second's total above it (beyond resendAllowance), or
// that comes too late to be played, is dropped.
//
// Safe for concurrent use; Close stops its goroutine.
type pacer struct {
	interceptor.NoOp
	target     func() int  // the bandwidth estimate in bits/s
	windowOpen func() bool // whether the network takes more video now
	prober     prober

	wake   chan struct{}
	closed chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	mu      sync.Mutex
	video   []pacedPacket           // guarded by mu: first-time video, in order
	resends []pacedPacket           // guarded by mu: retransmissions, sent before video
	window  rateWindow              // guarded by mu: bytes sent recently
	resent  rateWindow              // guarded by mu: of them resends
	spent   spending                // guarded by mu: everything offered, against the estimate
	streams map[uint32]*pacedStream // guarded by mu: video streams by SSRC
	padded  atomic.Bool             // some video stream carried padding: NACKs need translating

	cluster probeSending // owned by run

	stats pacerCounters
}

type pacedPacket struct {
	stream   *pacedStream
	header   rtp.Header
	payload  []byte
	attrs    interceptor.Attributes
	queued   time.Time
	firstOut time.Time // resends: when the original left
}

func (p *pacedPacket) size() int { return p.header.MarshalSize() + len(p.payload) }

// pacedStream is one local stream's writer and what the pacer remembers of
// its packets, to tell a retransmission from a first send.
type pacedStream struct {
	writer      interceptor.RTPWriter
	audio       bool
	ssrc        uint32
	payloadType uint8
	mu          sync.Mutex
	started     bool             // guarded by mu
	highest     uint16           // guarded by mu
	sentAt      [1024]sentPacket // guarded by mu: by sequence number modulo
	seqs        outSeqs          // guarded by mu: video's outgoing numbers
	lastStamp   uint32           // guarded by mu: RTP timestamp of the last video sent
	frameEnded  bool             // guarded by mu: the last video sent ended a frame
}

type sentPacket struct {
	seq uint16
	at  time.Time
}

// pacerCounters are what went out, for the stats.
type pacerCounters struct {
	mediaBytes     atomic.Uint64 // first sends, audio and video, header included
	resendBytes    atomic.Uint64
	resendsDropped atomic.Uint64 // over the budget or too late
	overflows      atomic.Uint64 // refused because the queue was full
	paddingBytes   atomic.Uint64 // probes
	// NACKs that could not be rewritten to the encoder's numbers; their
	// packets are not resent.
	nacksUntranslated atomic.Uint64
}

// newPacer paces at a multiple of target(); video waits while
// windowOpen() is false; prober starts and learns of probes. None is
// called with the pacer's lock held.
func newPacer(target func() int, windowOpen func() bool, pr prober) *pacer {
	p := &pacer{target: target, windowOpen: windowOpen, prober: pr, streams: map[uint32]*pacedStream{},
		wake: make(chan struct{}, 1), closed: make(chan struct{})}
	p.wg.Add(1)
	go p.run()
	return p
}

// BindLocalStream queues the stream's video and sends its audio at once.
func (p *pacer) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	st := &pacedStream{writer: w, audio: strings.HasPrefix(strings.ToLower(info.MimeType), "audio/"),
		ssrc: info.SSRC, payloadType: info.PayloadType}
	if !st.audio {
		p.mu.Lock()
		p.streams[info.SSRC] = st
		p.mu.Unlock()
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		now := time.Now()
		target := p.target()
		p.mu.Lock()
		p.spent.add(now, h.MarshalSize()+len(payload), target)
		p.mu.Unlock()
		firstOut, resend := st.classify(h.SequenceNumber, now)
		if st.audio && !resend {
			return p.send(st, h, payload, a, false, now)
		}
		pkt := pacedPacket{stream: st, header: h.Clone(), payload: append([]byte(nil), payload...),
			attrs: a, queued: now, firstOut: firstOut}
		// Measured now: once queued, the header belongs to the pacer's
		// goroutine (the transport-wide number is written into it).
		size := pkt.size()
		p.mu.Lock()
		if len(p.video)+len(p.resends) >= maxQueuedPackets {
			p.mu.Unlock()
			p.stats.overflows.Add(1)
			return 0, errPacerFull
		}
		if resend {
			p.resends = append(p.resends, pkt)
		} else {
			p.video = append(p.video, pkt)
		}
		p.mu.Unlock()
		select {
		case p.wake <- struct{}{}:
		default:
		}
		return size, nil
	})
}

// classify tells a retransmission (a sequence number not newer than the
// highest seen) from a first send, and for a resend when the original left.
func (s *pacedStream) classify(seq uint16, now time.Time) (firstOut time.Time, resend bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started && !seqBefore(s.highest, seq) {
		if e := s.sentAt[seq%uint16(len(s.sentAt))]; e.seq == seq {
			return e.at, true
		}
		return time.Time{}, true // too old to be remembered
	}
	s.started, s.highest = true, seq
	s.sentAt[seq%uint16(len(s.sentAt))] = sentPacket{seq: seq, at: now}
	return time.Time{}, false
}

func (p *pacer) send(st *pacedStream, h *rtp.Header, payload []byte, a interceptor.Attributes, resend bool, now time.Time) (int, error) {
	n, err := st.writer.Write(h, payload, a)
	if err != nil {
		return n, err
	}
	size := h.MarshalSize() + len(payload)
	if resend {
		p.stats.resendBytes.Add(uint64(size))
	} else {
		p.stats.mediaBytes.Add(uint64(size))
	}
	p.mu.Lock()
	p.window.add(now, size)
	if resend {
		p.resent.add(now, size)
	}
	p.mu.Unlock()
	return n, err
}

// run sends queued packets at the pacing rate until Close.
func (p *pacer) run() {
	defer p.wg.Done()
	tick := time.NewTicker(pacingInterval)
	defer tick.Stop()
	var tokens float64 // bytes that may leave now
	last := time.Now()
	for {
		select {
		case <-p.closed:
			return
		case <-tick.C:
		case <-p.wake:
		}
		now := time.Now()
		target := p.target()
		rate := max(pacingFactor*float64(target), minPacingRate) / 8 // bytes/s
		tokens = min(tokens+rate*now.Sub(last).Seconds(), rate*(maxBurstIntervals*pacingInterval).Seconds())
		last = now
		tokens = p.drain(now, tokens, target, p.windowOpen())
		p.probe(now)
	}
}

// drain sends what the tokens allow, resends first, and returns the tokens
// left. Video waits while the window is closed. None is dropped here: part
// of a frame is worth nothing, and a key frame cut short would only be
// asked for again; the encoder skips frames instead (see
// sendPath.congested).
func (p *pacer) drain(now time.Time, tokens float64, target int, windowOpen bool) float64 {
	for {
		p.mu.Lock()
		var pkt pacedPacket
		var resend bool
		switch {
		case len(p.resends) > 0 && tokens > 0:
			pkt, p.resends = p.resends[0], p.resends[1:]
			resend = true
			if !p.resendAllowedLocked(pkt, now, target) {
				p.mu.Unlock()
				p.stats.resendsDropped.Add(1)
				continue
			}
		case len(p.video) > 0 && tokens > 0 && windowOpen:
			pkt, p.video = p.video[0], p.video[1:]
		default:
			if len(p.video) == 0 {
				p.video = nil // let the backing array go
			}
			p.mu.Unlock()
			return tokens
		}
		p.mu.Unlock()
		if !pkt.stream.renumber(&pkt.header, resend) {
			p.stats.resendsDropped.Add(1)
			continue
		}
		tokens -= float64(pkt.size())
		attrs := pkt.attrs
		if p.cluster.id != 0 {
			attrs = p.cluster.tag(attrs, pkt.size())
		}
		p.send(pkt.stream, &pkt.header, pkt.payload, attrs, resend, now)
	}
}

// renumber gives a video packet its outgoing sequence number (see
// outSeqs); false for a resend of a packet no longer remembered.
func (s *pacedStream) renumber(h *rtp.Header, resend bool) bool {
	if s.audio {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if resend {
		out, ok := s.seqs.resend(h.SequenceNumber)
		h.SequenceNumber = out
		return ok
	}
	h.SequenceNumber = s.seqs.media(h.SequenceNumber)
	s.lastStamp, s.frameEnded = h.Timestamp, h.Marker
	return true
}

// resendAllowedLocked: the resend can still be played, and fits under the
// estimate with what was sent in the last sendWindow, or within the
// allowance with the other resends.
func (p *pacer) resendAllowedLocked(pkt pacedPacket, now time.Time, target int) bool {
	if !pkt.firstOut.IsZero() && now.Sub(pkt.firstOut) > maxResendAge {
		return false
	}
	if pkt.firstOut.IsZero() {
		return false // older than the pacer remembers: far too late
	}
	budget := float64(target) * sendWindow.Seconds() / 8
	size := float64(pkt.size())
	return float64(p.window.total(now))+size <= budget || float64(p.resent.total(now))+size <= budget*resendAllowance
}

// overspent says more was offered lately than the estimate carries: the
// video encoder should skip frames until it does.
func (p *pacer) overspent() bool {
	target := p.target()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.spent.over(time.Now(), target)
}

// resentRate is what resends took in the last sendWindow, in bits/s.
func (p *pacer) resentRate() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int(float64(p.resent.total(time.Now())*8) / sendWindow.Seconds())
}

// videoBacklog is how long the oldest queued video packet has waited.
// headFrameBytes is what is left to send of the video frame at the head of
// the queue: its packets up to the one that ends it (all queued video when
// the frame is still arriving).
func (p *pacer) headFrameBytes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for i := range p.video {
		n += p.video[i].size()
		if p.video[i].header.Marker {
			break
		}
	}
	return n
}

func (p *pacer) videoBacklog() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.video) == 0 {
		return 0
	}
	return time.Since(p.video[0].queued)
}

// sentRate is what left in the last sendWindow, in bits/s.
func (p *pacer) sentRate() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int(float64(p.window.total(time.Now())*8) / sendWindow.Seconds())
}

// Close stops the pacer; queued packets are dropped.
func (p *pacer) Close() error {
	p.once.Do(func() { close(p.closed) })
	p.wg.Wait()
	return nil
}

// rateWindow sums bytes over the last sendWindow in 50 ms buckets. Not safe
// for concurrent use.
type rateWindow struct {
	buckets [20]int
	stamps  [20]int64 // bucket index in 50 ms units since the epoch
}

const rateBucket = sendWindow / 20

func (w *rateWindow) add(now time.Time, n int) {
	k := now.UnixNano() / int64(rateBucket)
	i := k % int64(len(w.buckets))
	if w.stamps[i] != k {
		w.stamps[i], w.buckets[i] = k, 0
	}
	w.buckets[i] += n
}

func (w *rateWindow) total(now time.Time) int {
	k := now.UnixNano() / int64(rateBucket)
	sum := 0
	for i, s := range w.stamps {
		if k-s < int64(len(w.buckets)) {
			sum += w.buckets[i]
		}
	}
	return sum
}

// pacerFactory hands the registry the one pacer of a peer connection.
type pacerFactory struct{ p *pacer }

func (f pacerFactory) NewInterceptor(string) (interceptor.Interceptor, error) { return f.p, nil }
