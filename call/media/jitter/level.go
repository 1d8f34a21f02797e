package jitter

import "time"

// Level control.
const (
	// levelSmoothing is the weight of each new level measurement in the
	// filtered level the time-scale decisions use.
	levelSmoothing = 0.1
	// hysteresis keeps the level alone above three quarters of the target
	// until it exceeds that by this much and a pull (or the target, if
	// higher): wide enough for a packet's sawtooth.
	hysteresis = 20 * time.Millisecond
)

// targetLocked is the level to steer toward, in samples: one packet plus
// the jitter, capped at MaxDelay.
func (b *Buffer) targetLocked() int {
	t := b.delay.estimate() + int64(b.frameLen)
	return int(min(max(t, int64(b.frameLen)), b.maxDelay))
}

// spanLocked is the audio in packets ahead of the playout point, samples:
// from the next timestamp to play to the end of the newest packet.
func (b *Buffer) spanLocked() int {
	newest := b.packets.newest()
	if newest == nil {
		return 0
	}
	from := b.nextTS
	if e := b.packets.earliest(); !b.timeline || b.rewindableLocked(e.ts) {
		from = e.ts
	}
	return int(max(0, newest.ts+int64(b.frameLen)-from))
}

// rewindableLocked reports whether audio at ts, behind the playout point,
// can still be played: only while concealing, and only audio never played
// for real. Playing it makes the concealment that stood in for it extra
// delay; that is how the buffer grows quickly when packets come late.
func (b *Buffer) rewindableLocked(ts int64) bool {
	return b.timeline && b.concealRun > 0 && ts < b.nextTS && ts >= b.lastRealEnd && b.nextTS-ts <= b.maxDelay
}

// limitsLocked returns the levels, in samples, below which the buffer
// slows playout down and above which it speeds it up: three quarters of
// the target, and the target or, for a small one, some hysteresis above
// the low limit. The level measured at a decode depends on how arrivals
// fall between pulls, by up to a pull: the gap leaves room for that.
func (b *Buffer) limitsLocked() (low, high float64) {
	target := float64(b.targetLocked())
	low = target * 3 / 4
	return low, max(target, low+b.hyst+float64(b.pullSize))
}

// steerLocked puts x, a frame just decoded at the playout point, in sync:
// shortened by a stretch when the filtered level is above the high limit,
// lengthened when below the low one, so that the level follows the target
// without a gap or a skip anyone hears. The level is measured here, at
// each decode: this frame and the packets after it.
func (b *Buffer) steerLocked(x []int16) {
	n := len(x)
	level := float64(n + b.spanLocked())
	if b.level < 0 {
		b.level = level
	} else {
		b.level += levelSmoothing * (level - b.level)
	}
	low, high := b.limitsLocked()
	switch {
	case b.level > high:
		if r := b.scaler.accelerate(b.sync, x, b.scaler.maxLag); r > 0 {
			b.syncLen = n - r
			b.level -= float64(r)
			b.stats.Accelerates++
			b.stats.AcceleratedSamples += uint64(r)
			return
		}
	case b.level < low:
		if r := b.scaler.expand(b.sync, x, b.scaler.maxLag); r > 0 {
			b.syncLen = n + r
			b.level += float64(r)
			b.stats.Expands++
			b.stats.ExpandedSamples += uint64(r)
			return
		}
	}
	b.syncLen = copy(b.sync, x)
}
