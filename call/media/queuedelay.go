package media

import (
	"time"

	"github.com/pion/rtcp"
)

// queueDelay measures the queue our packets wait in on the path, from the
// arrival times in transport-wide feedback: a packet's one-way delay is
// its arrival (receiver's clock) less its departure (ours), and the
// smallest of them lately is the path without a queue. GCC reads only the
// trend of these delays, which a path's jitter can hide for seconds while
// a queue fills; the queue itself is plain to see.
type queueDelay struct {
	// base keeps the smallest one-way delay of each baseBucket over
	// baseWindow: the path may change, and old minima must age out.
	base    [baseWindow / baseBucket]bucketMin
	current time.Duration  // the queue at the last report
	recent  [8]queueSample // the last reports' queues, a ring
	next    int            // where the next sample goes in recent
	rate    int            // bits/s arriving over the last report's span, 0 when unknown
}

type queueSample struct {
	at    time.Time
	queue time.Duration
}

type bucketMin struct {
	at  int64 // bucket number since the epoch
	min time.Duration
}

const (
	// A short memory: a delay that lasts this long is the path's, not a
	// queue's. A queue is cut within a second of showing; what stays is a
	// longer route, or a busy receiver stamping arrivals late, and
	// holding back for either would starve the call.
	baseBucket = time.Second
	baseWindow = 6 * time.Second
	// clockJump: a larger change of one-way delay is a clock reset (the
	// 24-bit reference time wraps every 12 days), not a queue.
	clockJump = 20 * time.Second
	// rateSpan: arrivals closer together than this say little of a rate.
	rateSpan = 20 * time.Millisecond
	// standingSpan: a queue every report of this span saw is standing; a
	// busy machine that stamps arrivals late for a moment makes a queue
	// of a report or two (reports come every 50 ms), not of this.
	standingSpan = 200 * time.Millisecond
)

// arrival is one packet a report says was received.
type arrival struct {
	oneWay time.Duration
	size   int
	at     time.Duration // on the receiver's clock
}

// report takes the packets one feedback report covers.
func (q *queueDelay) report(arrivals []arrival, now time.Time) {
	if len(arrivals) == 0 {
		return
	}
	recent := arrivals[0].oneWay
	first, last, bytes := arrivals[0].at, arrivals[0].at, 0
	for _, a := range arrivals {
		recent = min(recent, a.oneWay)
		first, last = min(first, a.at), max(last, a.at)
		bytes += a.size
	}
	base, ok := q.baseDelay(now)
	if ok && (recent < base-clockJump || recent > base+clockJump) {
		q.base = [len(q.base)]bucketMin{}
		ok = false
	}
	k := now.UnixNano() / int64(baseBucket)
	b := &q.base[k%int64(len(q.base))]
	if b.at != k || recent < b.min {
		*b = bucketMin{at: k, min: recent}
	}
	if !ok || recent < base {
		base = recent
	}
	// The smallest delay of a report: jitter only ever adds to a packet's
	// delay, a standing queue adds to every one's.
	q.current = recent - base
	q.recent[q.next] = queueSample{at: now, queue: q.current}
	q.next = (q.next + 1) % len(q.recent)
	q.rate = 0
	if span := last - first; span >= rateSpan && len(arrivals) >= 4 {
		// The bytes after the first arrived over the span.
		q.rate = int(float64(bytes-arrivals[0].size) * 8 / span.Seconds())
	}
}

// standing is the queue every report of the last standingSpan saw, and
// at least the last two.
func (q *queueDelay) standing() time.Duration {
	last := q.recent[(q.next+len(q.recent)-1)%len(q.recent)]
	standing := last.queue
	for i := 2; i <= len(q.recent); i++ {
		s := q.recent[(q.next+len(q.recent)-i)%len(q.recent)]
		if i > 2 && !s.at.After(last.at.Add(-standingSpan)) {
			break
		}
		standing = min(standing, s.queue)
	}
	return standing
}

func (q *queueDelay) baseDelay(now time.Time) (time.Duration, bool) {
	k := now.UnixNano() / int64(baseBucket)
	var base time.Duration
	found := false
	for _, b := range q.base {
		if b.at > k-int64(len(q.base)) && b.at <= k && (!found || b.min < base) {
			base, found = b.min, true
		}
	}
	return base, found
}

// twccArrivals calls f with each packet a transport-wide feedback report
// says was received and its arrival time on the receiver's clock.
func twccArrivals(fb *rtcp.TransportLayerCC, f func(seq uint16, at time.Duration)) {
	at := time.Duration(fb.ReferenceTime) * 64 * time.Millisecond
	seq := fb.BaseSequenceNumber
	left := int(fb.PacketStatusCount)
	deltas := fb.RecvDeltas
	// status handles the next packet's symbol; false ends the report.
	status := func(symbol uint16) bool {
		if left == 0 {
			return false
		}
		left--
		s := seq
		seq++
		if symbol != rtcp.TypeTCCPacketReceivedSmallDelta && symbol != rtcp.TypeTCCPacketReceivedLargeDelta {
			return true
		}
		if len(deltas) == 0 {
			return false
		}
		at += time.Duration(deltas[0].Delta) * time.Microsecond
		deltas = deltas[1:]
		f(s, at)
		return true
	}
	for _, chunk := range fb.PacketChunks {
		switch c := chunk.(type) {
		case *rtcp.RunLengthChunk:
			for range c.RunLength {
				if !status(c.PacketStatusSymbol) {
					return
				}
			}
		case *rtcp.StatusVectorChunk:
			// In one-bit vectors 1 is "received, small delta" too.
			for _, symbol := range c.SymbolList {
				if !status(symbol) {
					return
				}
			}
		}
	}
}
