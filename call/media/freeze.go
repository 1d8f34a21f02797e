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
	if k := min(f.n, freezeWindow); k >= 2 {
		var sum time.Duration
		for _, d := range f.intervals[:k] {
			sum += d
		}
		mean := sum / time.Duration(k)
		if gap > max(3*mean, mean+150*time.Millisecond) {
			f.count++
			f.total += gap
		}
	}
	f.intervals[f.n%freezeWindow] = gap
	f.n++
}

// totals are the freezes so far and their summed length.
func (f *freezeDetector) totals() (int, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count, f.total
}
