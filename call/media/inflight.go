package media

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// inFlightMaxAge: a packet no feedback mentioned for this long is taken
// for lost with its feedback, not counted forever.
const inFlightMaxAge = 2 * time.Second

// inFlight counts the bytes sent that no transport-wide feedback has
// mentioned yet: what is in the network, or waiting in its queues. While it
// exceeds what the estimate carries in a round trip, more video would only
// lengthen the queue (libwebrtc's congestion window).
//
// Safe for concurrent use.
type inFlight struct {
	mu      sync.Mutex
	packets map[uint16]flying // guarded by mu: by transport-wide sequence number
	bytes   int               // guarded by mu
	acked   rateWindow        // guarded by mu: bytes reported on, by when
	queue   queueDelay        // guarded by mu
	since   time.Time         // guarded by mu: the first feedback
	probe   *probeRecord      // guarded by mu: the probe cluster being measured
}

type flying struct {
	size int
	at   time.Time
}

func newInFlight() *inFlight { return &inFlight{packets: map[uint16]flying{}} }

// sent records a packet carrying the transport-wide extension extID, sent
// in probe cluster (0: none).
func (f *inFlight) sent(h *rtp.Header, size int, extID uint8, cluster int, now time.Time) {
	ext := h.GetExtension(extID)
	if len(ext) < 2 {
		return
	}
	seq := binary.BigEndian.Uint16(ext)
	f.mu.Lock()
	defer f.mu.Unlock()
	if cluster != 0 && f.probe != nil && f.probe.id == cluster {
		f.probe.waiting[seq] = probePacket{size: size, at: now}
	}
	if old, ok := f.packets[seq]; ok {
		f.bytes -= old.size
	}
	f.packets[seq] = flying{size: size, at: now}
	f.bytes += size
}

// feedback removes the packets a report covers, received or lost, those
// before it (their report was lost: feedback comes in order) and those too
// old to be reported on.
func (f *inFlight) feedback(fb *rtcp.TransportLayerCC, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var arrivals []arrival
	twccArrivals(fb, func(seq uint16, at time.Duration) {
		if p, ok := f.packets[seq]; ok {
			arrivals = append(arrivals, arrival{oneWay: at - time.Duration(p.at.UnixNano()), size: p.size, at: at})
		}
		if f.probe == nil {
			return
		}
		if p, ok := f.probe.waiting[seq]; ok {
			f.probe.arrivals = append(f.probe.arrivals, probeArrival{sent: p.at, at: at,
				oneWay: at - time.Duration(p.at.UnixNano()), size: p.size})
			delete(f.probe.waiting, seq)
		}
	})
	if f.probe != nil {
		for i := range fb.PacketStatusCount {
			if _, ok := f.probe.waiting[fb.BaseSequenceNumber+i]; ok {
				f.probe.lost++ // covered by the report, not received
				delete(f.probe.waiting, fb.BaseSequenceNumber+i)
			}
		}
	}
	f.queue.report(arrivals, now)
	if f.since.IsZero() {
		f.since = now
	}
	for seq, p := range f.packets {
		if seqBefore(seq, fb.BaseSequenceNumber) {
			f.bytes -= p.size
			delete(f.packets, seq)
		}
	}
	for i := range fb.PacketStatusCount {
		seq := fb.BaseSequenceNumber + i
		if p, ok := f.packets[seq]; ok {
			f.bytes -= p.size
			f.acked.add(now, p.size)
			delete(f.packets, seq)
		}
	}
	for seq, p := range f.packets {
		if now.Sub(p.at) > inFlightMaxAge {
			f.bytes -= p.size
			delete(f.packets, seq)
		}
	}
}

// oldest is how long the oldest packet in flight has gone unreported.
func (f *inFlight) oldest(now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var age time.Duration
	for _, p := range f.packets {
		age = max(age, now.Sub(p.at))
	}
	return age
}

// ackedRate is what the feedback of the last second reported on, in
// bits/s: about what the link delivered. In a call's first second it
// counts from the first feedback, not from a second before it.
func (f *inFlight) ackedRate(now time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.since.IsZero() {
		return 0
	}
	span := min(sendWindow, max(now.Sub(f.since), 200*time.Millisecond))
	return int(float64(f.acked.total(now)*8) / span.Seconds())
}

// load is the bytes in flight.
func (f *inFlight) load() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bytes
}

// queued is the queue our packets waited in over the last two feedback
// reports, and the rate they arrived at over the last one's span (0 when
// it is too short to tell).
func (f *inFlight) queued() (time.Duration, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queue.standing(), f.queue.rate
}

// startProbe begins measuring cluster id, sent at rate bits/s.
func (f *inFlight) startProbe(id, rate int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probe = &probeRecord{id: id, asked: rate, waiting: map[uint16]probePacket{}}
}

// measuringProbe says a cluster is out or its feedback awaited.
func (f *inFlight) measuringProbe() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.probe != nil
}

// probeSent notes that cluster id is out: bytes over span.
func (f *inFlight) probeSent(id, bytes int, span time.Duration, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.probe == nil || f.probe.id != id {
		return
	}
	f.probe.sent, f.probe.sentAt = true, now
	if span > 0 {
		f.probe.rate = int(float64(bytes*8) / span.Seconds())
	}
}

// probeOutcome is the measured cluster's result, once there is one.
func (f *inFlight) probeOutcome(now time.Time) (probeResult, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.probe == nil {
		return probeResult{}, false
	}
	r, ok := f.probe.outcome(now)
	if ok {
		f.probe = nil
	}
	return r, ok
}
