package media

import "time"

// spendDepth is how far the media may run ahead of the estimate before the
// video encoder skips frames (libwebrtc's frame dropper): a key frame at a
// small estimate costs the frames after it, not a queue in the network.
const spendDepth = 250 * time.Millisecond

// spending is a leaky bucket of the bytes offered to the network, drained
// at the estimate. The encoder's rate control aims at its target on
// average; at a small target on a busy picture VP8 cannot get there, and
// without this the difference would wait in the bottleneck's queue. Not
// safe for concurrent use.
type spending struct {
	level float64 // bytes not yet paid for at the estimate
	at    time.Time
}

// add drains the bucket at rate (bits/s) since the last call, then adds n
// bytes.
func (s *spending) add(now time.Time, n, rate int) {
	s.drain(now, rate)
	s.level += float64(n)
}

func (s *spending) drain(now time.Time, rate int) {
	if !s.at.IsZero() {
		s.level = max(0, s.level-float64(rate)/8*now.Sub(s.at).Seconds())
	}
	s.at = now
}

// over says the bucket holds more than spendDepth at rate.
func (s *spending) over(now time.Time, rate int) bool {
	s.drain(now, rate)
	return s.level > float64(rate)/8*spendDepth.Seconds()
}
