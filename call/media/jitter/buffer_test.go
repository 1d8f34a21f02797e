package jitter

import (
	"slices"
	"testing"
	"time"
)

// TestCleanLink: a clean link settles on a small target and plays the tone
// exactly, with nothing concealed or time-scaled.
func TestCleanLink(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	r := simulate(b, link{}, 500, 480)
	s := r.last()
	t.Logf("clean link: %+v", s)
	if s.Target < 20*time.Millisecond || s.Target > 30*time.Millisecond {
		t.Errorf("target %v, want 20–30 ms", s.Target)
	}
	if s.Concealed != 0 || s.Recovered != 0 || s.Late != 0 || s.Accelerates != 0 || s.Expands != 0 {
		t.Errorf("stats %+v, want nothing concealed, late or time-scaled", s)
	}
	start := r.start()
	played := r.out[start:]
	if len(played) < len(r.src)-2*960 || !slices.Equal(played, r.src[:len(played)]) {
		t.Fatalf("output differs from the tone sent (start %d)", start)
	}
	if start > 2*r.pull {
		t.Errorf("playout started after %d samples", start)
	}
}
