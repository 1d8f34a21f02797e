package devices

import (
	"io"
	"sync"
	"time"
)

// pacer releases a synthetic source's reads at a fixed real-time interval, so
// synthetic media reaches the encoder at the pace a camera or microphone
// would. A reader that falls more than maxLag behind (a stalled process, a
// debugger) skips ahead instead of bursting.
//
// wait may be called by one goroutine at a time; close may be called from
// any goroutine, any number of times, and makes a blocked wait return io.EOF.
type pacer struct {
	interval time.Duration
	maxLag   time.Duration
	next     time.Time // guarded by the single-waiter rule

	done      chan struct{}
	closeOnce sync.Once
}

func newPacer(interval, maxLag time.Duration) *pacer {
	return &pacer{interval: interval, maxLag: maxLag, done: make(chan struct{})}
}

// wait blocks until the next tick and returns its time, or io.EOF once closed.
func (p *pacer) wait() (time.Time, error) {
	select {
	case <-p.done:
		return time.Time{}, io.EOF
	default:
	}
	now := time.Now()
	if p.next.IsZero() || now.Sub(p.next) > p.maxLag {
		p.next = now
	}
	if d := p.next.Sub(now); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-p.done:
			t.Stop()
			return time.Time{}, io.EOF
		}
	}
	tick := p.next
	p.next = p.next.Add(p.interval)
	return tick, nil
}

func (p *pacer) close() {
	p.closeOnce.Do(func() { close(p.done) })
}
