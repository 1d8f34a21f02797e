package media

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"duet/call/leaktest"
)

// headerWire records the headers the pacer lets out and their clusters.
type headerWire struct {
	mu       sync.Mutex
	headers  []rtp.Header
	clusters []int
}

func (w *headerWire) Write(h *rtp.Header, _ []byte, a interceptor.Attributes) (int, error) {
	id, _ := a.Get(probeKey{}).(int)
	w.mu.Lock()
	w.headers = append(w.headers, *h)
	w.clusters = append(w.clusters, id)
	w.mu.Unlock()
	return 0, nil
}

func (w *headerWire) sent() ([]rtp.Header, []int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.headers), slices.Clone(w.clusters)
}

// oneProbe asks for one cluster and records how it went out.
type oneProbe struct {
	mu    sync.Mutex
	asked bool
	bytes int
	done  bool
}

func (o *oneProbe) nextProbe(time.Time) (int, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.asked {
		return 0, 0
	}
	o.asked = true
	return 7, 2_000_000
}

func (o *oneProbe) probeSent(id, bytes int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.bytes, o.done = bytes, id == 7
}

func (o *oneProbe) finished() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.done
}

// A probe goes out as padding on the video stream, between frames, under
// sequence numbers that follow the video's; later video is renumbered
// after it, and the peer's NACKs are translated back, padding left out
// and sent again.
func TestPacerProbesWithPaddingAndTranslatesNACKs(t *testing.T) {
	leaktest.Check(t)
	pr := &oneProbe{}
	p := newPacer(func() int { return 1_000_000 }, func() bool { return true }, pr)
	defer p.Close()
	var w headerWire
	vw := p.BindLocalStream(&interceptor.StreamInfo{SSRC: 1, PayloadType: 96, MimeType: "video/VP8"}, &w)
	payload := make([]byte, 1000)
	for seq := uint16(100); seq <= 104; seq++ {
		vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: seq, Timestamp: 3000, Marker: seq == 104}, payload, nil)
	}
	waitFor(t, "the probe", pr.finished)
	headers, clusters := w.sent()
	var padding []uint16
	for i, h := range headers {
		if !h.Padding {
			continue
		}
		padding = append(padding, h.SequenceNumber)
		if h.PaddingSize != paddingSize || h.SSRC != 1 || h.PayloadType != 96 || h.Timestamp != 3000 || clusters[i] != 7 {
			t.Fatalf("padding packet %+v in cluster %d", h, clusters[i])
		}
	}
	if len(padding) == 0 || padding[0] != 105 {
		t.Fatalf("padding went out as %v, want numbers from 105", padding)
	}
	if pr.bytes < probeMinBytes {
		t.Errorf("a cluster of %d bytes, want at least %d", pr.bytes, probeMinBytes)
	}
	// The encoder's next packet, 105, goes out after the padding.
	vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: 105, Timestamp: 6000, Marker: true}, payload, nil)
	waitFor(t, "the next frame", func() bool { h, _ := w.sent(); return !h[len(h)-1].Padding })
	headers, _ = w.sent()
	out := headers[len(headers)-1].SequenceNumber
	if want := 105 + uint16(len(padding)); out != want {
		t.Fatalf("packet 105 went out as %d, want %d", out, want)
	}

	// The peer lost packet 105 and a padding packet.
	nack, err := rtcp.Marshal([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: 1,
		Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{padding[0], out})}})
	if err != nil {
		t.Fatal(err)
	}
	reader := p.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(b, nack), a, nil
	}))
	buf := make([]byte, 1500)
	n, _, err := reader.Read(buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := rtcp.Unmarshal(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	got := pkts[0].(*rtcp.TransportLayerNack).Nacks
	if len(got) != 1 || !slices.Equal(got[0].PacketList(), []uint16{105}) {
		t.Fatalf("the NACK reached the responder as %v, want packet 105 alone", got)
	}
	// The padding asked for went out again, under its number.
	headers, _ = w.sent()
	if h := headers[len(headers)-1]; !h.Padding || h.SequenceNumber != padding[0] || h.Timestamp != 3000 {
		t.Fatalf("after a NACK of padding %d the last packet sent was %+v", padding[0], h)
	}
	// The responder's resend of 105 goes out under the number 105 had.
	vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: 105, Timestamp: 6000, Marker: true}, payload, nil)
	waitFor(t, "the resend", func() bool { return p.stats.resendBytes.Load() > 0 })
	headers, _ = w.sent()
	if got := headers[len(headers)-1].SequenceNumber; got != out {
		t.Fatalf("the resend of 105 went out as %d, want %d", got, out)
	}
}

// Padding waits for a frame to end: a receiver need not expect it inside
// one.
func TestPacerPadsOnlyBetweenFrames(t *testing.T) {
	leaktest.Check(t)
	pr := &oneProbe{}
	p := newPacer(func() int { return 1_000_000 }, func() bool { return true }, pr)
	defer p.Close()
	var w headerWire
	vw := p.BindLocalStream(&interceptor.StreamInfo{SSRC: 1, MimeType: "video/VP8"}, &w)
	vw.Write(&rtp.Header{SSRC: 1, SequenceNumber: 1, Timestamp: 3000}, make([]byte, 1000), nil)
	waitFor(t, "the probe given up", pr.finished)
	headers, _ := w.sent()
	for _, h := range headers {
		if h.Padding {
			t.Fatal("padding sent inside a frame")
		}
	}
}

func TestProbeOutcome(t *testing.T) {
	t0 := time.Unix(1000, 0)
	cluster := func(queueGrowth time.Duration, lost int) probeRecord {
		r := probeRecord{id: 1, sent: true, sentAt: t0.Add(40 * time.Millisecond), rate: 2_000_000, asked: 2_000_000, lost: lost}
		// 20 packets of 250 bytes, 1 ms apart: 2 Mbit/s.
		for i := range 20 {
			sent := t0.Add(time.Duration(i) * time.Millisecond)
			wait := queueGrowth * time.Duration(i) / 19
			at := time.Duration(i)*time.Millisecond + 20*time.Millisecond + wait
			r.arrivals = append(r.arrivals, probeArrival{sent: sent, at: at, oneWay: at - time.Duration(i)*time.Millisecond, size: 250})
		}
		return r
	}
	now := t0.Add(100 * time.Millisecond)
	r := cluster(0, 0)
	if res, ok := r.outcome(now); !ok || !res.carried || res.rate < 1_900_000 || res.rate > 2_000_000 {
		t.Errorf("a cluster carried without a queue: %+v %t", res, ok)
	}
	r = cluster(40*time.Millisecond, 0)
	if res, ok := r.outcome(now); !ok || res.carried || res.rate >= 2_000_000 {
		t.Errorf("a cluster that queued 40 ms: %+v %t", res, ok)
	}
	r = cluster(0, 10)
	if res, ok := r.outcome(now); !ok || res.carried {
		t.Errorf("a third of the cluster lost: %+v %t", res, ok)
	}
	r = cluster(0, 0)
	r.waiting = map[uint16]probePacket{9: {size: 250, at: t0}}
	if _, ok := r.outcome(now); ok {
		t.Error("read before the feedback on all of it came")
	}
	if res, ok := r.outcome(t0.Add(time.Second)); !ok || !res.carried {
		t.Errorf("not read from what came once the wait ran out: %+v %t", res, ok)
	}
}

// The peer's RTCP passes through translateNACKs: whatever it holds, the
// pacer neither fails nor makes a packet the responder cannot read.
func FuzzTranslateNACKs(f *testing.F) {
	seed, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: 1,
		Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{3, 5, 40})}, &rtcp.PictureLossIndication{MediaSSRC: 1}})
	f.Add(seed)
	f.Add([]byte{0x81, 205, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &pacer{streams: map[uint32]*pacedStream{1: {}}}
		st := p.streams[1]
		for seq := uint16(0); seq < 50; seq++ {
			st.seqs.media(seq)
			if seq%7 == 0 {
				st.seqs.padding(0)
			}
		}
		buf := make([]byte, 1500)
		n, _, ok := p.translateNACKs(buf, copy(buf, b))
		if !ok {
			return
		}
		if _, err := rtcp.Unmarshal(buf[:n]); err != nil {
			t.Fatalf("translated %x into %x, which does not parse: %v", b, buf[:n], err)
		}
	})
}
