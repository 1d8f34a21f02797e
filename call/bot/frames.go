package bot

import (
	"sync"
	"time"

	"duet/call/media"
	"duet/devices"
)

// frameLog reads the stamp of every decoded frame sent by a synthetic
// source: order and glass-to-glass latency (both ends share this
// machine's clock when bots call each other locally).
type frameLog struct {
	mu         sync.Mutex
	last       uint32        // guarded by mu
	seen       bool          // guarded by mu
	outOfOrder int           // guarded by mu
	latency    time.Duration // guarded by mu: of the newest stamped frame
}

type frameSummary struct {
	outOfOrder int
	latency    time.Duration
}

// add runs on the media receive goroutine; it is quick and never blocks long.
func (l *frameLog) add(f media.Frame) {
	n, captured, ok := devices.ReadFrameStamp(f.Image)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen && n <= l.last {
		l.outOfOrder++
	}
	l.last, l.seen = n, true
	l.latency = f.Decoded.Sub(captured)
}

func (l *frameLog) reset() {
	l.mu.Lock()
	l.last, l.seen, l.outOfOrder, l.latency = 0, false, 0, 0
	l.mu.Unlock()
}

func (l *frameLog) summary() frameSummary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return frameSummary{outOfOrder: l.outOfOrder, latency: l.latency}
}
