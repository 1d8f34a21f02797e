package media

import (
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
)

// feedbackFor builds transport-wide feedback the way a receiver does
// (pion's recorder), for packets arriving at the given times in µs; a
// negative time is a lost packet.
func feedbackFor(t *testing.T, base uint16, arrivalsUS []int64) []*rtcp.TransportLayerCC {
	t.Helper()
	rec := twcc.NewRecorder(1)
	for i, at := range arrivalsUS {
		if at >= 0 {
			rec.Record(2, base+uint16(i), at)
		}
	}
	var out []*rtcp.TransportLayerCC
	for _, p := range rec.BuildFeedbackPacket() {
		// Through the wire format, as it reaches the sender.
		raw, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		pkts, err := rtcp.Unmarshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range pkts {
			if fb, ok := q.(*rtcp.TransportLayerCC); ok {
				out = append(out, fb)
			}
		}
	}
	return out
}

func TestTWCCArrivalsReadsEveryReceivedPacket(t *testing.T) {
	// Small and large gaps, a loss, and a sequence number wrap.
	arrivals := []int64{1_000_000, 1_000_250, 1_010_000, -1, 1_090_000, 1_090_500, 1_400_000}
	base := uint16(65533)
	got := map[uint16]time.Duration{}
	for _, fb := range feedbackFor(t, base, arrivals) {
		twccArrivals(fb, func(seq uint16, at time.Duration) { got[seq] = at })
	}
	first := got[base]
	for i, us := range arrivals {
		seq := base + uint16(i)
		at, ok := got[seq]
		if us < 0 {
			if ok {
				t.Errorf("lost packet %d reported as arriving", seq)
			}
			continue
		}
		if !ok {
			t.Errorf("packet %d missing", seq)
			continue
		}
		want := time.Duration(us-arrivals[0]) * time.Microsecond
		// The wire carries 250 µs steps.
		if d := at - first - want; d < -250*time.Microsecond || d > 250*time.Microsecond {
			t.Errorf("packet %d arrived %v after the first, want %v", seq, at-first, want)
		}
	}
}

func TestQueueDelayFollowsAStandingQueue(t *testing.T) {
	var q queueDelay
	now := time.Unix(1000, 0)
	// Jitter alone: every report has some packet through at the base delay.
	for i := range 20 {
		now = now.Add(100 * time.Millisecond)
		q.report(reportAt(time.Duration(i)*100*time.Millisecond, 40*time.Millisecond, []time.Duration{9, 0, 4, 7}), now)
	}
	if q.current > time.Millisecond {
		t.Fatalf("queue %v on a path with jitter only", q.current)
	}
	// A queue builds: every packet waits 120 ms more.
	now = now.Add(100 * time.Millisecond)
	q.report(reportAt(2*time.Second, 160*time.Millisecond, []time.Duration{9, 3, 4, 7}), now)
	if q.standing() != 0 {
		t.Fatalf("one report's delay is a standing queue of %v", q.standing())
	}
	now = now.Add(100 * time.Millisecond)
	q.report(reportAt(2100*time.Millisecond, 160*time.Millisecond, []time.Duration{9, 3, 4, 7}), now)
	if q.standing() < 115*time.Millisecond || q.standing() > 125*time.Millisecond {
		t.Fatalf("standing queue %v, want about 120 ms", q.standing())
	}
	// Reports every 50 ms: a stall of two reports is not a standing
	// queue; one seen through 200 ms is.
	for i := range 6 {
		now = now.Add(50 * time.Millisecond)
		q.report(reportAt(2200*time.Millisecond+time.Duration(i)*50*time.Millisecond, 40*time.Millisecond, []time.Duration{0, 3}), now)
	}
	for i := range 2 {
		now = now.Add(50 * time.Millisecond)
		q.report(reportAt(2500*time.Millisecond+time.Duration(i)*50*time.Millisecond, 140*time.Millisecond, []time.Duration{0, 3}), now)
	}
	if q.standing() != 0 {
		t.Fatalf("a 100 ms stall read as a standing queue of %v", q.standing())
	}
	for i := range 3 {
		now = now.Add(50 * time.Millisecond)
		q.report(reportAt(2600*time.Millisecond+time.Duration(i)*50*time.Millisecond, 140*time.Millisecond, []time.Duration{0, 3}), now)
	}
	if q.standing() < 95*time.Millisecond {
		t.Fatalf("a queue through 250 ms read as %v", q.standing())
	}
	now = now.Add(50 * time.Millisecond)
	q.report(reportAt(2750*time.Millisecond, 160*time.Millisecond, []time.Duration{9, 3, 4, 7}), now)
	now = now.Add(50 * time.Millisecond)
	q.report(reportAt(2800*time.Millisecond, 160*time.Millisecond, []time.Duration{9, 3, 4, 7}), now)
	// Packets of 1000 bytes 10 ms apart arrive at 800 kbit/s.
	if q.rate < 750_000 || q.rate > 850_000 {
		t.Fatalf("arrival rate %d, want about 800 kbit/s", q.rate)
	}
	// A path that got shorter lowers the base at once.
	now = now.Add(100 * time.Millisecond)
	q.report(reportAt(3*time.Second, 20*time.Millisecond, []time.Duration{0}), now)
	if q.current != 0 {
		t.Fatalf("queue %v on a shorter path", q.current)
	}
	// The base ages out: a path that got longer is the new normal after
	// baseWindow, not a queue forever.
	for i := range int(baseWindow/time.Second) + 3 {
		now = now.Add(time.Second)
		q.report(reportAt(time.Duration(4+i)*time.Second, 70*time.Millisecond, []time.Duration{0, 2}), now)
	}
	if q.current > time.Millisecond {
		t.Fatalf("queue %v after the longer path became the base", q.current)
	}
}

func TestQueueDelaySurvivesAClockJump(t *testing.T) {
	var q queueDelay
	now := time.Unix(1000, 0)
	q.report(reportAt(0, 40*time.Millisecond, []time.Duration{0}), now)
	// The receiver's reference time wrapped: one-way delays jump by hours.
	now = now.Add(100 * time.Millisecond)
	q.report(reportAt(0, 40*time.Millisecond+12*time.Hour, []time.Duration{0}), now)
	if q.current != 0 {
		t.Fatalf("a clock jump read as a queue of %v", q.current)
	}
}

// reportAt makes one report's arrivals: packets 10 ms apart from start,
// each taking oneWay plus its jitter in ms.
func reportAt(start, oneWay time.Duration, jitterMS []time.Duration) []arrival {
	var out []arrival
	for i, j := range jitterMS {
		at := start + time.Duration(i)*10*time.Millisecond
		out = append(out, arrival{oneWay: oneWay + j*time.Millisecond, size: 1000, at: at})
	}
	return out
}

// FuzzTWCCArrivals: feedback from the network, however malformed, yields
// no more arrivals than it has receive deltas and status slots.
func FuzzTWCCArrivals(f *testing.F) {
	rec := twcc.NewRecorder(1)
	for i, at := range []int64{0, 300, 70_000, 90_000} {
		rec.Record(2, uint16(i), at)
	}
	for _, p := range rec.BuildFeedbackPacket() {
		raw, _ := p.Marshal()
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		pkts, err := rtcp.Unmarshal(raw)
		if err != nil {
			return
		}
		for _, p := range pkts {
			fb, ok := p.(*rtcp.TransportLayerCC)
			if !ok {
				continue
			}
			n := 0
			twccArrivals(fb, func(uint16, time.Duration) { n++ })
			if n > len(fb.RecvDeltas) || n > int(fb.PacketStatusCount) {
				t.Fatalf("%d arrivals from %d deltas and %d statuses", n, len(fb.RecvDeltas), fb.PacketStatusCount)
			}
		}
	})
}
