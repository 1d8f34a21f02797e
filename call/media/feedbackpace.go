package media

import (
	"slices"
	"time"
)

// feedbackPace is how often the peer's transport-wide feedback comes: the
// median of the last few gaps between reports, so that a lost or bunched
// report does not move it. Duet's receivers report every 25–50 ms
// (feedbackclock.go), libwebrtc's every 50–250 ms.
//
// Not safe for concurrent use.
type feedbackPace struct {
	last time.Time
	gaps [8]time.Duration
	n    int // gaps seen, at most len(gaps) counted
	next int // where the next gap goes
}

// note records a report that came at now.
func (f *feedbackPace) note(now time.Time) {
	if !f.last.IsZero() {
		f.gaps[f.next] = now.Sub(f.last)
		f.next = (f.next + 1) % len(f.gaps)
		f.n = min(f.n+1, len(f.gaps))
	}
	f.last = now
}

// interval is the usual gap between reports; feedbackIntervalMost until
// a few have come.
func (f *feedbackPace) interval() time.Duration {
	if f.n < 3 {
		return feedbackIntervalMost
	}
	gaps := f.gaps // a copy: asked for at every pacer tick, it must not allocate
	sorted := gaps[:f.n]
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}
