package media

import (
	"sync"
	"time"
)

// freezeWindow is how many recent frame intervals make the mean a freeze
// is judged against.
const freezeWindow = 30

// freezeDetector counts freezes by Chromium's definition: a frame that
// comes later than max(3 × the mean frame interval, mean + 150 ms) after
// the one before. Safe for concurrent use.
type freezeDetector struct {
	mu        sync.Mutex
	last      time.Time                   // guarded by mu
	intervals [freezeWindow]time.Duration // guarded by mu: a ring
	n         int                         // guarded by mu: intervals seen
	count     int                         // guarded by mu
	total     time.Duration               // guarded by mu
}

// pause forgets the last frame: the next one starts afresh, so a video
// that stopped on purpose does not count as frozen when it resumes.
func (f *freezeDetector) pause() {
	f.mu.Lock()
	f.last = time.Time{}
	f.mu.Unlock()
}

// frame notes a frame shown at now.
func (f *freezeDetector) frame(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last.IsZero() {
		f.last = now
		return
	}
	gap := now.Sub(f.last)
	f.last = now
	if bound, ok := f.boundLocked(); ok && gap > bound {
		f.count++
		f.total += gap
	}
	f.intervals[f.n%freezeWindow] = gap
	f.n++
}

// frozen is the time frozen so far: the freezes that ended and the one
// going on at now, a frame already later than a freeze's bound. The
// quality meter sees a stall while it lasts, not when it ends.
func (f *freezeDetector) frozen(now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	total := f.total
	if bound, ok := f.boundLocked(); ok && !f.last.IsZero() {
		if gap := now.Sub(f.last); gap > bound {
			total += gap
		}
	}
	return total
}

// boundLocked is the gap beyond which a frame is late enough to be a
// freeze; ok is false until there are intervals to judge by.
func (f *freezeDetector) boundLocked() (bound time.Duration, ok bool) {
	k := min(f.n, freezeWindow)
	if k < 2 {
		return 0, false
	}
	var sum time.Duration
	for _, d := range f.intervals[:k] {
		sum += d
	}
	mean := sum / time.Duration(k)
	return max(3*mean, mean+150*time.Millisecond), true
}

// totals are the freezes so far and their summed length.
func (f *freezeDetector) totals() (int, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count, f.total
}
