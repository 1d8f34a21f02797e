package media

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// Asking for lost packets. A packet is asked for once it is clearly lost,
// not just overtaken, and again once the last ask has had time to be
// answered, at most nackMaxAsks times, and only while it could still be
// played: after the playout horizon the frames behind it go on without it
// and the receiver asks for a key frame instead. A sender is never asked
// for more than it could usefully resend.
const (
	nackInterval   = 5 * time.Millisecond
	nackMaxAsks    = 3
	nackMaxMissing = 256 // a longer gap is an outage: a key frame is cheaper
	nackMinRetry   = 30 * time.Millisecond
	// resendJitter is what an answer may take beyond the usual.
	resendJitter = 5 * time.Millisecond
)

// nackGenerator is the receiving side's NACK interceptor for video.
//
// Safe for concurrent use; Close stops its goroutine.
type nackGenerator struct {
	interceptor.NoOp
	rtt     func() time.Duration // the round trip to the sender, 0 until measured
	horizon func() time.Duration // how long a missing packet may hold playout

	mu      sync.Mutex
	streams map[uint32]*nackStream // guarded by mu

	asked  atomic.Uint64 // sequence numbers asked for, for the stats
	closed chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

type nackStream struct {
	started   bool
	highest   uint16
	missing   map[uint16]*missingPacket
	overtaken recentLongest // how long packets were overtaken for
	answered  answerTimes   // how long resends took to come after their ask
}

type missingPacket struct {
	since, asked time.Time
	askedBefore  time.Time // the ask before the last
	asks         int
}

func newNACKGenerator(rtt, horizon func() time.Duration) *nackGenerator {
	return &nackGenerator{rtt: rtt, horizon: horizon, streams: map[uint32]*nackStream{}, closed: make(chan struct{})}
}

// BindRemoteStream watches the sequence numbers of streams that negotiated
// NACK (video).
func (g *nackGenerator) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	if !negotiatedNACK(info) {
		return r
	}
	st := &nackStream{missing: map[uint16]*missingPacket{}}
	g.mu.Lock()
	g.streams[info.SSRC] = st
	g.mu.Unlock()
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := r.Read(b, a)
		if err != nil {
			return n, attr, err
		}
		if attr == nil {
			attr = interceptor.Attributes{}
		}
		var h *rtp.Header
		if h, err = attr.GetRTPHeader(b[:n]); err != nil {
			return 0, nil, err
		}
		rtt := g.rtt()
		g.mu.Lock()
		st.received(h.SequenceNumber, time.Now(), rtt)
		g.mu.Unlock()
		return n, attr, nil
	})
}

func negotiatedNACK(info *interceptor.StreamInfo) bool {
	for _, fb := range info.RTCPFeedback {
		if fb.Type == "nack" && fb.Parameter == "" {
			return true
		}
	}
	return false
}

// received notes a packet: it fills a gap, or opens one.
func (s *nackStream) received(seq uint16, now time.Time, rtt time.Duration) {
	if !s.started {
		s.started, s.highest = true, seq
		return
	}
	if !seqBefore(s.highest, seq) {
		if m, ok := s.missing[seq]; ok {
			s.learn(m, now, rtt)
			delete(s.missing, seq)
		}
		return
	}
	gap := int(seq - s.highest - 1)
	if gap > nackMaxMissing {
		clear(s.missing)
	} else {
		for i := 1; i <= gap; i++ {
			s.missing[s.highest+uint16(i)] = &missingPacket{since: now}
		}
	}
	s.highest = seq
}

// learn tells from when a missing packet came how it came. Before it was
// asked for, or so soon after the first ask that no resend could have
// come, it was overtaken on the way: how long it was missing is
// reordering to wait out before the next first ask. Otherwise it is a
// resend, and how long it took after its ask tells how long the next ask
// waits before it is made again; one that comes that soon after a later
// ask answers the ask before it, late. Before the round trip is measured
// (rtt 0) nothing that came after an ask is taken for overtaken: a guess
// too long would make every resend look like reordering.
func (s *nackStream) learn(m *missingPacket, now time.Time, rtt time.Duration) {
	sinceAsk := now.Sub(m.asked)
	switch {
	case m.asks == 0 || m.asks == 1 && sinceAsk < rtt/2:
		s.overtaken.note(now.Sub(m.since), now)
	case sinceAsk >= rtt/2:
		s.answered.note(sinceAsk, now)
	default:
		s.answered.note(now.Sub(m.askedBefore), now)
	}
}

// retry is how long an ask is given to be answered: the round trip, or
// longer when resends usually took longer lately (they wait in the
// sender's pacer), with a little for jitter. Before the round trip is
// measured the answers seen stand in for it.
func (s *nackStream) retry(now time.Time, rtt time.Duration) time.Duration {
	usual := s.answered.usual(now)
	if rtt == 0 && usual == 0 {
		rtt = defaultRTT
	}
	return max(max(rtt, usual)+resendJitter, nackMinRetry)
}

// UnbindRemoteStream forgets the stream.
func (g *nackGenerator) UnbindRemoteStream(info *interceptor.StreamInfo) {
	g.mu.Lock()
	delete(g.streams, info.SSRC)
	g.mu.Unlock()
}

// BindRTCPWriter starts asking, through w.
func (g *nackGenerator) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	g.wg.Add(1)
	go g.run(w)
	return w
}

func (g *nackGenerator) run(w interceptor.RTCPWriter) {
	defer g.wg.Done()
	sender := rand.Uint32()
	tick := time.NewTicker(nackInterval)
	defer tick.Stop()
	// Copies of asks made again wait two ticks: Pion's responder, Duet's
	// sender, refuses a second resend within 5 ms of the first.
	var again, next []rtcp.Packet
	for {
		select {
		case <-g.closed:
			return
		case now := <-tick.C:
			if len(again) > 0 {
				_, _ = w.Write(again, interceptor.Attributes{})
			}
			var pkts []rtcp.Packet
			again = next
			pkts, next = g.due(now, sender)
			if len(pkts) > 0 {
				_, _ = w.Write(pkts, interceptor.Attributes{}) // a lost NACK is asked again
			}
		}
	}
}

// due gives up on packets past the horizon or asked enough, and returns
// NACKs for those whose last ask has had time to be answered, and the
// same again for those asked before, to be sent two ticks later. A packet
// asked for again was lost twice already, itself and then its ask or its
// resend: the copy, in a datagram of its own, keeps one more loss from
// costing another round trip. A sender that answers both (Duet's) covers
// a lost resend too; one that does not resend a packet twice within its
// round trip (libwebrtc's) takes it for the same ask.
func (g *nackGenerator) due(now time.Time, sender uint32) (pkts, again []rtcp.Packet) {
	horizon, rtt := g.horizon(), g.rtt()
	g.mu.Lock()
	defer g.mu.Unlock()
	for ssrc, st := range g.streams {
		var seqs []uint16
		firstWait, retry := reorderWait(st.overtaken.get(now)), st.retry(now, rtt)
		for seq, m := range st.missing {
			switch {
			case now.Sub(m.since) > horizon || m.asks >= nackMaxAsks && now.Sub(m.asked) > retry:
				delete(st.missing, seq)
			case m.asks == 0 && now.Sub(m.since) < firstWait:
			case m.asks < nackMaxAsks && (m.asks == 0 || now.Sub(m.asked) >= retry):
				m.asks++
				m.askedBefore, m.asked = m.asked, now
				seqs = append(seqs, seq)
			}
		}
		if len(seqs) == 0 {
			continue
		}
		sortSeqs(seqs)
		g.asked.Add(uint64(len(seqs)))
		pkts = append(pkts, &rtcp.TransportLayerNack{SenderSSRC: sender, MediaSSRC: ssrc,
			Nacks: rtcp.NackPairsFromSequenceNumbers(seqs)})
		var reasked []uint16 // in order, as seqs is
		for _, seq := range seqs {
			if st.missing[seq].asks > 1 {
				reasked = append(reasked, seq)
			}
		}
		if len(reasked) > 0 {
			g.asked.Add(uint64(len(reasked)))
			again = append(again, &rtcp.TransportLayerNack{SenderSSRC: sender, MediaSSRC: ssrc,
				Nacks: rtcp.NackPairsFromSequenceNumbers(reasked)})
		}
	}
	return pkts, again
}

// sortSeqs orders sequence numbers by RTP order, wrap included, as
// NackPairsFromSequenceNumbers needs.
func sortSeqs(s []uint16) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && seqBefore(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Close stops asking.
func (g *nackGenerator) Close() error {
	g.once.Do(func() { close(g.closed) })
	g.wg.Wait()
	return nil
}

// nackGeneratorFactory hands the registry the one generator of a peer connection.
type nackGeneratorFactory struct{ g *nackGenerator }

func (f nackGeneratorFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return f.g, nil
}
