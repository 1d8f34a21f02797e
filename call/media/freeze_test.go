package media

import (
	"testing"
	"time"
)

func TestFreezeDetector(t *testing.T) {
	for _, tc := range []struct {
		name      string
		gaps      []time.Duration
		wantCount int
		wantTotal time.Duration
	}{
		{"steady 30 fps", repeat(33*time.Millisecond, 60), 0, 0},
		{"a 400 ms stall at 30 fps", append(repeat(33*time.Millisecond, 30), 400*time.Millisecond), 1, 400 * time.Millisecond},
		// 183 ms is mean+150: not yet a freeze; 200 ms is.
		{"just under the threshold", append(repeat(33*time.Millisecond, 30), 180*time.Millisecond), 0, 0},
		{"steady 5 fps is not frozen", repeat(200*time.Millisecond, 30), 0, 0},
		{"5 fps with a 700 ms gap", append(repeat(200*time.Millisecond, 30), 700*time.Millisecond), 1, 700 * time.Millisecond},
		{"no judgement before two intervals", []time.Duration{time.Second, time.Second}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f freezeDetector
			now := time.Unix(0, 0)
			f.frame(now)
			for _, g := range tc.gaps {
				now = now.Add(g)
				f.frame(now)
			}
			if n, total := f.totals(); n != tc.wantCount || total != tc.wantTotal {
				t.Errorf("freezes %d (%v), want %d (%v)", n, total, tc.wantCount, tc.wantTotal)
			}
		})
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

// A video the peer stopped on purpose and resumed is not a freeze.
func TestFreezeDetectorPause(t *testing.T) {
	var f freezeDetector
	now := time.Unix(0, 0)
	for range 30 {
		now = now.Add(33 * time.Millisecond)
		f.frame(now)
	}
	f.pause()
	now = now.Add(time.Minute)
	for range 30 {
		now = now.Add(33 * time.Millisecond)
		f.frame(now)
	}
	now = now.Add(400 * time.Millisecond) // a real stall after the resume
	f.frame(now)
	if n, total := f.totals(); n != 1 || total != 400*time.Millisecond {
		t.Errorf("freezes %d (%v), want the stall only", n, total)
	}
}

// A stall counts while it lasts, and once over it is counted once.
func TestFreezeDetectorFrozen(t *testing.T) {
	var f freezeDetector
	now := time.Unix(0, 0)
	for range 30 {
		now = now.Add(33 * time.Millisecond)
		f.frame(now)
	}
	if got := f.frozen(now.Add(150 * time.Millisecond)); got != 0 {
		t.Errorf("150 ms after a frame: frozen %v, want none yet", got)
	}
	if got := f.frozen(now.Add(time.Second)); got != time.Second {
		t.Errorf("a second into a stall: frozen %v, want 1s", got)
	}
	now = now.Add(1500 * time.Millisecond)
	f.frame(now)
	if got := f.frozen(now); got != 1500*time.Millisecond {
		t.Errorf("after the stall: frozen %v, want 1.5s", got)
	}
	f.pause()
	if got := f.frozen(now.Add(time.Minute)); got != 1500*time.Millisecond {
		t.Errorf("paused: frozen %v, want the stall only", got)
	}
}
