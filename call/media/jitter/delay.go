package jitter

import (
	"time"
)

// Delay estimation parameters.
const (
	// bucketWidth is the histogram's resolution.
	bucketWidth = 5 * time.Millisecond
	// delayQuantile is the share of packets the estimate covers: a packet
	// later than this many is lost to concealment.
	delayQuantile = 0.98
	// forgetTime is how long it takes the histogram to forget most of what
	// it saw (its time constant): short enough that the delay shrinks within
	// seconds of the jitter going away, long enough for 2 % of it to be more
	// than a packet or two.
	forgetTime = 2 * time.Second
	// transitWindow is how far back the fastest packet is looked for; it
	// follows clock drift between the peers.
	transitWindow = 2 * time.Second
	// transitPackets bounds the packets remembered for transitWindow.
	transitPackets = 128
)

// delayEstimator measures network jitter the way NetEQ does. Each packet's
// relative arrival delay — its transit time (arrival time minus RTP
// timestamp) above the smallest transit of the last two seconds — goes into
// a histogram that forgets old packets exponentially; the jitter is the
// delay that delayQuantile of the histogram's weight lies below.
//
// delayEstimator is not safe for concurrent use; Buffer guards it.
type delayEstimator struct {
	rate    float64   // RTP clock, Hz
	hist    []float64 // weight per bucketWidth of relative delay; the last bucket takes everything above
	recent  [transitPackets]transit
	nRecent int // valid entries of recent
	next    int // where the next transit goes in recent
	base    time.Time
	started bool  // base is set
	jitter  int64 // samples: upper edge of the quantile's bucket
}

// transit is one packet's arrival and transit time, in seconds since base.
type transit struct{ at, transit float64 }

func newDelayEstimator(rate int, maxDelay time.Duration) delayEstimator {
	return delayEstimator{
		rate: float64(rate),
		hist: make([]float64, int(maxDelay/bucketWidth)+1),
	}
}

// restart forgets the transit times, for a new timestamp base (a
// resynchronisation). The histogram stays: the network has not changed.
func (d *delayEstimator) restart() {
	d.nRecent, d.next, d.started = 0, 0, false
}

// update takes a packet with unwrapped timestamp ts that arrived at
// arrival. frame is the packet duration in samples if known, else 0: it
// weighs the packet, so that the histogram forgets per second of audio,
// not per packet.
func (d *delayEstimator) update(arrival time.Time, ts int64, frame int) {
	if !d.started {
		d.base, d.started = arrival, true
	}
	at := arrival.Sub(d.base).Seconds()
	tr := at - float64(ts)/d.rate
	d.recent[d.next] = transit{at: at, transit: tr}
	d.next = (d.next + 1) % len(d.recent)
	d.nRecent = min(d.nRecent+1, len(d.recent))
	fastest := tr
	for _, r := range d.recent[:d.nRecent] {
		if r.at >= at-transitWindow.Seconds() && r.transit < fastest {
			fastest = r.transit
		}
	}
	rel := tr - fastest // seconds, ≥ 0

	weight := 0.01 // until a decode tells the duration: a 20 ms packet's
	if frame > 0 {
		weight = min(max(float64(frame)/d.rate/forgetTime.Seconds(), 0.001), 0.1)
	}
	b := len(d.hist) - 1
	if buckets := rel / bucketWidth.Seconds(); buckets < float64(b) {
		b = int(buckets)
	}
	var total float64
	for i := range d.hist {
		d.hist[i] *= 1 - weight
		total += d.hist[i]
	}
	d.hist[b] += weight
	total += weight

	var cum float64
	for i, w := range d.hist {
		cum += w
		if cum >= delayQuantile*total {
			d.jitter = int64(float64(i+1) * bucketWidth.Seconds() * d.rate)
			break
		}
	}
}

// estimate returns the jitter in samples: the relative delay that
// delayQuantile of recent packets stayed within, rounded up to bucketWidth.
// It is 0 before the first packet.
func (d *delayEstimator) estimate() int64 { return d.jitter }
