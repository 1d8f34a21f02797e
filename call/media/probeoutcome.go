package media

import (
	"slices"
	"time"
)

// Reading a probe (see probe.go) from the feedback.
const (
	// probeQueueGrowth: a cluster whose last packets waited this much
	// longer than its first found the link's limit.
	probeQueueGrowth = 15 * time.Millisecond
	// probeFeedbackWait: a cluster not fully reported on this long after
	// it went out is read from what was.
	probeFeedbackWait = 500 * time.Millisecond
	// probeMinReceived: a cluster with less of it arriving was lost to a
	// full queue.
	probeMinReceived = 0.8
)

// probeRecord is a cluster being measured. Not safe for concurrent use:
// inFlight's mu guards it.
type probeRecord struct {
	id       int
	waiting  map[uint16]probePacket // by transport-wide number: not yet reported on
	arrivals []probeArrival
	lost     int
	sent     bool // the pacer has sent all of it
	sentAt   time.Time
	rate     int // bits/s offered, media included
	// asked is the rate the cluster was asked for: a large frame sent
	// with it makes what was offered more, not what the link was shown
	// to carry.
	asked int
}

type probePacket struct {
	size int
	at   time.Time
}

type probeArrival struct {
	sent   time.Time
	at     time.Duration // receiver's clock
	oneWay time.Duration
	size   int
}

// probeResult is what a cluster showed: whether the link carried its
// rate without a queue, and the rate it carried.
type probeResult struct {
	id      int
	carried bool
	rate    int // bits/s
}

// outcome reads the cluster once it is reported on, or has waited long
// enough; false while it is not yet.
func (r *probeRecord) outcome(now time.Time) (probeResult, bool) {
	if !r.sent || len(r.waiting) > 0 && now.Sub(r.sentAt) < probeFeedbackWait {
		return probeResult{}, false
	}
	res := probeResult{id: r.id}
	total := len(r.arrivals) + r.lost + len(r.waiting)
	if len(r.arrivals) < 2 || float64(len(r.arrivals)) < probeMinReceived*float64(total) {
		return res, true
	}
	slices.SortFunc(r.arrivals, func(a, b probeArrival) int { return a.sent.Compare(b.sent) })
	base := r.arrivals[0].oneWay
	first, last, bytes := r.arrivals[0].at, r.arrivals[0].at, 0
	for i, a := range r.arrivals {
		base = min(base, a.oneWay)
		first, last = min(first, a.at), max(last, a.at)
		if i > 0 {
			bytes += a.size
		}
	}
	end := r.arrivals[len(r.arrivals)-1]
	if end.oneWay-base > probeQueueGrowth || last <= first {
		// It queued: what arrived is what the link carries, no more.
		if last > first {
			res.rate = int(float64(bytes*8) / (last - first).Seconds())
		}
		return res, true
	}
	received := int(float64(bytes*8) / (last - first).Seconds())
	res.carried = true
	res.rate = min(r.rate, received, r.asked)
	return res, true
}
