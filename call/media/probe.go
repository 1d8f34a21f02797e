package media

import (
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// Probing. A sender whose media does not fill its estimate (a small layer
// after a dip, a still picture) cannot show that the link carries more,
// and would grow back only at GCC's pace. Like libwebrtc, the pacer then
// sends a short cluster of padding at a multiple of the estimate; the
// estimator reads from the feedback whether the link carried it without a
// queue (see probeOutcome).
const (
	probeFactor = 2 // a probe offers this multiple of the estimate
	// probeFactorAfterLimit is the multiple after a probe that found the
	// link's limit: asking only whether the link has grown by half takes
	// longer, so more of the cluster is media and less padding (a fifth
	// less in a 150 kbit/s dip, where a probe's second is the call's
	// highest); one that passes is followed at once by probes at
	// probeFactor.
	probeFactorAfterLimit = 1.5
	// A cluster is at least probeMinBytes long: a shaper lets a burst of
	// a few kilobytes through at any rate, which must not pass for
	// capacity; and at least probeMinTime, for the arrival times to tell.
	probeMinBytes = 8_000
	probeMinTime  = 40 * time.Millisecond
	probeMaxTime  = 300 * time.Millisecond
	// paddingSize is one padding packet's padding: the most RTP's one-byte
	// length allows.
	paddingSize = 255
)

// probeKey marks, in a packet's interceptor attributes, the probe cluster
// it was sent in.
type probeKey struct{}

// prober starts probes and hears how they went out: the estimator.
type prober interface {
	// nextProbe is a cluster to send now: its id and rate in bits/s;
	// 0 for none.
	nextProbe(now time.Time) (id, rate int)
	// probeSent: cluster id is out, bytes over span, media included.
	probeSent(id, bytes int, span time.Duration)
}

// probeSending is the cluster the pacer is sending.
type probeSending struct {
	id    int
	rate  int // bits/s
	goal  int // bytes
	start time.Time
	bytes int // sent so far, media and padding
}

// tag marks a packet as part of the cluster and counts it.
func (c *probeSending) tag(a interceptor.Attributes, size int) interceptor.Attributes {
	c.bytes += size
	tagged := interceptor.Attributes{probeKey{}: c.id}
	for k, v := range a {
		if _, ok := tagged[k]; !ok {
			tagged[k] = v
		}
	}
	return tagged
}

// probe starts a cluster when the estimator asks for one, tops the bytes
// sent since it started up to its rate with padding, and ends it.
func (p *pacer) probe(now time.Time) {
	c := &p.cluster
	if c.id == 0 {
		if p.prober == nil {
			return
		}
		id, rate := p.prober.nextProbe(now)
		if id == 0 {
			return
		}
		*c = probeSending{id: id, rate: rate, start: now,
			goal: max(probeMinBytes, int(float64(rate)/8*probeMinTime.Seconds()))}
	}
	due := min(int(float64(c.rate)/8*(now.Sub(c.start)+pacingInterval).Seconds()), c.goal)
	for c.bytes < due {
		if !p.sendPadding(now) {
			break
		}
	}
	if c.bytes >= c.goal && now.Sub(c.start) >= probeMinTime || now.Sub(c.start) >= probeMaxTime {
		p.prober.probeSent(c.id, c.bytes, now.Sub(c.start))
		*c = probeSending{}
	}
}

// sendPadding sends one padding packet of the cluster on a video stream,
// between frames (a receiver need not know padding inside a frame);
// false when there is none to send it on now.
func (p *pacer) sendPadding(now time.Time) bool {
	p.mu.Lock()
	var st *pacedStream
	for _, s := range p.streams {
		st = s
		break
	}
	p.mu.Unlock()
	if st == nil {
		return false
	}
	st.mu.Lock()
	out, ok := uint16(0), false
	stamp := st.lastStamp
	if st.frameEnded {
		out, ok = st.seqs.padding(stamp)
	}
	st.mu.Unlock()
	if !ok {
		return false
	}
	p.padded.Store(true)
	h := paddingHeader(st, out, stamp)
	return p.writePadding(st, &h, p.cluster.tag(nil, h.MarshalSize()+paddingSize))
}

// paddingHeader is a padding packet's, numbered seq on st.
func paddingHeader(st *pacedStream, seq uint16, stamp uint32) rtp.Header {
	return rtp.Header{Version: 2, Padding: true, PaddingSize: paddingSize, PayloadType: st.payloadType,
		SequenceNumber: seq, Timestamp: stamp, SSRC: st.ssrc}
}

// writePadding sends a padding packet on st: a probe's, tagged by the
// pacer's goroutine, or one asked for again, untagged (it is no probe's).
func (p *pacer) writePadding(st *pacedStream, h *rtp.Header, attrs interceptor.Attributes) bool {
	if _, err := st.writer.Write(h, nil, attrs); err != nil {
		return false
	}
	p.stats.paddingBytes.Add(uint64(h.MarshalSize() + paddingSize))
	return true
}

// BindRTCPReader translates the peer's NACKs of renumbered video back to
// the encoder's numbers (see outSeqs) before the NACK responder sees them.
func (p *pacer) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attrs, err := reader.Read(b, a)
		if err != nil || !p.padded.Load() {
			return n, attrs, err
		}
		m, padding, ok := p.translateNACKs(b, n)
		for _, pad := range padding {
			p.writePadding(pad.stream, &pad.header, nil)
		}
		if ok {
			// Fresh attributes: the parsed packets cached in the old ones
			// hold the outgoing numbers.
			return m, interceptor.Attributes{}, nil
		}
		return n, attrs, nil
	})
}

// translateNACKs rewrites the NACKs in the compound RTCP packet b[:n] in
// place, within b's length, and returns the padding they ask for; false
// when it holds none of a video stream's.
func (p *pacer) translateNACKs(b []byte, n int) (int, []streamPadding, bool) {
	pkts, err := rtcp.Unmarshal(b[:n])
	if err != nil {
		return 0, nil, false
	}
	var padding []streamPadding
	changed := false
	kept := make([]rtcp.Packet, 0, len(pkts))
	for _, pkt := range pkts {
		nack, ok := pkt.(*rtcp.TransportLayerNack)
		if !ok {
			kept = append(kept, pkt)
			continue
		}
		p.mu.Lock()
		st := p.streams[nack.MediaSSRC]
		p.mu.Unlock()
		if st == nil {
			kept = append(kept, pkt)
			continue
		}
		changed = true
		st.mu.Lock()
		left, asked := st.seqs.translateNACK(nack)
		st.mu.Unlock()
		for _, e := range asked {
			padding = append(padding, streamPadding{st, paddingHeader(st, e.out, e.stamp)})
		}
		if left {
			kept = append(kept, nack)
		} else {
			// A NACK of padding alone: an empty report stands in, as a
			// NACK without numbers does not parse and a read must return
			// a packet.
			kept = append(kept, &rtcp.ReceiverReport{SSRC: nack.SenderSSRC})
		}
	}
	if !changed {
		return 0, nil, false
	}
	out, err := rtcp.Marshal(kept)
	if err != nil || len(out) > len(b) {
		p.stats.nacksUntranslated.Add(1)
		return 0, padding, false
	}
	return copy(b, out), padding, true
}

// streamPadding is padding asked for again on a stream.
type streamPadding struct {
	stream *pacedStream
	header rtp.Header
}
