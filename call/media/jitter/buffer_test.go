package jitter

import (
	"testing"
	"time"
)

// TestCleanLink: a clean link settles on a small target and plays exactly
// what was sent, with nothing concealed or time-scaled, however arrivals
// fall between pulls.
func TestCleanLink(t *testing.T) {
	for _, delay := range []time.Duration{0, 1 * time.Millisecond, 5 * time.Millisecond, 9900 * time.Microsecond, 13 * time.Millisecond, 80 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			b := newTestBuffer(t, newPCMCodec())
			r := simulate(b, link{delay: func(int) time.Duration { return delay }, after: delay}, 500, 480)
			s := r.last()
			if s.Target < 20*time.Millisecond || s.Target > 30*time.Millisecond {
				t.Errorf("target %v, want 20–30 ms", s.Target)
			}
			if s.Concealed != 0 || s.Recovered != 0 || s.Late != 0 || s.Accelerates != 0 || s.Expands != 0 {
				t.Errorf("stats %+v, want nothing concealed, late or time-scaled", s)
			}
			if !r.exact() || len(r.played()) < len(r.src)-3*960 {
				t.Fatalf("output differs from what was sent (start %d)", r.start())
			}
			if wait := r.start() - int(delay*testRate/time.Second); wait > 2*r.pull {
				t.Errorf("playout started %d samples after the first packet came", wait)
			}
		})
	}
}

// TestPullSizes: Pull fills exactly what it is given, whatever the size.
func TestPullSizes(t *testing.T) {
	for _, pull := range []int{1, 37, 441, 480, 960, 1000} {
		t.Run(time.Duration(pull*int(time.Second)/testRate).String(), func(t *testing.T) {
			b := newTestBuffer(t, newPCMCodec())
			r := simulate(b, link{}, 250, pull)
			s := r.last()
			if s.Concealed != 0 || s.Late != 0 {
				t.Errorf("stats %+v", s)
			}
			if !r.exact() || len(r.played()) < len(r.src)-3*960 {
				t.Error("output differs from what was sent")
			}
			if len(r.out) != len(r.results)*pull {
				t.Errorf("%d samples from %d pulls of %d", len(r.out), len(r.results), pull)
			}
		})
	}
}
