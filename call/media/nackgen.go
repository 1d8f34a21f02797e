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
// not just overtaken, and again once the last ask
// has had time to be answered, at most nackMaxAsks times, and only while
// it could still be played: after the playout horizon the frames behind
// it go on without it and the receiver asks for a key frame instead. A
// sender is never asked for more than it could usefully resend.
const (
	nackInterval   = 10 * time.Millisecond
	nackMaxAsks    = 3
	nackMaxMissing = 256 // a longer gap is an outage: a key frame is cheaper
	nackMinRetry   = 30 * time.Millisecond
)

// nackGenerator is the receiving side's NACK interceptor for video.
//
// Safe for concurrent use; Close stops its goroutine.
type nackGenerator struct {
	interceptor.NoOp
	rtt     func() time.Duration // the round trip to the sender
	horizon func() time.Duration // how long a missing packet may hold playout

	mu      sync.Mutex
	streams map[uint32]*nackStream // guarded by mu

	asked  atomic.Uint64 // sequence numbers asked for, for the stats
	closed chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

type nackStream struct {
	started bool
	highest uint16
	missing map[uint16]*missingPacket
	reorder reordering
}

type missingPacket struct {
	since, asked time.Time
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

// received notes a packet: it fills a gap, or opens one. One that fills
// a gap before it was asked for, or sooner after the ask than a resend
// could come, was overtaken on the way: how long it was missing is
// reordering to wait out before the next ask.
func (s *nackStream) received(seq uint16, now time.Time, rtt time.Duration) {
	if !s.started {
		s.started, s.highest = true, seq
		return
	}
	if !seqBefore(s.highest, seq) {
		if m, ok := s.missing[seq]; ok {
			if m.asks == 0 || now.Sub(m.asked) < rtt/2 {
				s.reorder.note(now.Sub(m.since), now)
			}
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
	for {
		select {
		case <-g.closed:
			return
		case now := <-tick.C:
			if pkts := g.due(now, sender); len(pkts) > 0 {
				_, _ = w.Write(pkts, interceptor.Attributes{}) // a lost NACK is asked again
			}
		}
	}
}

// due gives up on packets past the horizon or asked enough, and returns
// NACKs for those whose last ask has had time to be answered.
func (g *nackGenerator) due(now time.Time, sender uint32) []rtcp.Packet {
	horizon := g.horizon()
	retry := max(g.rtt()+g.rtt()/4, nackMinRetry)
	g.mu.Lock()
	defer g.mu.Unlock()
	var pkts []rtcp.Packet
	for ssrc, st := range g.streams {
		var seqs []uint16
		reorderWait := st.reorder.wait(now)
		for seq, m := range st.missing {
			switch {
			case now.Sub(m.since) > horizon || m.asks >= nackMaxAsks && now.Sub(m.asked) > retry:
				delete(st.missing, seq)
			case m.asks == 0 && now.Sub(m.since) < reorderWait:
			case m.asks < nackMaxAsks && (m.asks == 0 || now.Sub(m.asked) >= retry):
				m.asks++
				m.asked = now
				seqs = append(seqs, seq)
			}
		}
		if len(seqs) > 0 {
			sortSeqs(seqs)
			g.asked.Add(uint64(len(seqs)))
			pkts = append(pkts, &rtcp.TransportLayerNack{SenderSSRC: sender, MediaSSRC: ssrc,
				Nacks: rtcp.NackPairsFromSequenceNumbers(seqs)})
		}
	}
	return pkts
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
