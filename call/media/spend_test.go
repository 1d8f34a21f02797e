package media

import (
	"testing"
	"time"
)

func TestSpendingHoldsVideoUntilTheEstimateCatchesUp(t *testing.T) {
	var s spending
	t0 := time.Unix(1000, 0)
	const rate = 80_000 // bits/s: 10 kB/s, so spendDepth is 2.5 kB
	s.add(t0, 2_000, rate)
	if s.over(t0, rate) {
		t.Fatal("2 kB is within 250 ms at 80 kbit/s")
	}
	// A key frame of 6 kB: 600 ms of the estimate.
	s.add(t0, 6_000, rate)
	if !s.over(t0, rate) {
		t.Fatal("8 kB at 80 kbit/s is not held")
	}
	// 8 kB less 2.5 kB drains in 550 ms.
	if !s.over(t0.Add(500*time.Millisecond), rate) {
		t.Fatal("released before the bucket drained to its depth")
	}
	if s.over(t0.Add(600*time.Millisecond), rate) {
		t.Fatal("still held after the bucket drained to its depth")
	}
	// Idle time does not bank credit: the bucket never goes below empty.
	s.add(t0.Add(10*time.Second), 3_000, rate)
	if !s.over(t0.Add(10*time.Second), rate) {
		t.Fatal("an idle spell let a burst beyond the depth through")
	}
}

func TestSpendingScalesWithTheEstimate(t *testing.T) {
	var s spending
	t0 := time.Unix(1000, 0)
	s.add(t0, 20_000, 2_000_000) // a large frame at 2 Mbit/s: 80 ms of it
	if s.over(t0, 2_000_000) {
		t.Fatal("a 20 kB frame at 2 Mbit/s is held")
	}
	if !s.over(t0, 150_000) {
		t.Fatal("the same frame at 150 kbit/s is not held")
	}
}

func TestRecentFrameIsForgottenByTime(t *testing.T) {
	p := &sendPath{}
	p.noteFrame(30_000)
	if got := p.recentFrame(); got < 29_000 {
		t.Fatalf("recent frame %d bytes just after a 30 kB one", got)
	}
	// Frames skipped: no new sizes, yet the old one fades.
	p.frameMu.Lock()
	p.largestAt = p.largestAt.Add(-4 * frameMemoryHalfLife)
	p.frameMu.Unlock()
	if got := p.recentFrame(); got > 30_000/16+100 || got < 30_000/16-100 {
		t.Fatalf("after four half-lives the recent frame is %d bytes, want about %d", got, 30_000/16)
	}
	p.noteFrame(1_000)
	if got := p.recentFrame(); got < 1_800 {
		t.Fatalf("a smaller new frame replaced a larger recent one: %d bytes", got)
	}
}
