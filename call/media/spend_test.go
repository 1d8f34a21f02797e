package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
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

// The window's floor is what is left of the frame at the head of the
// pacer: a key frame larger than the window goes, the frames after it do
// not ride on its size.
func TestHeadFrameBytes(t *testing.T) {
	packet := func(size int, marker bool) pacedPacket {
		return pacedPacket{header: rtp.Header{Version: 2, Marker: marker}, payload: make([]byte, size)}
	}
	p := &pacer{}
	if got := p.headFrameBytes(); got != 0 {
		t.Fatalf("an empty pacer's head frame: %d bytes", got)
	}
	hdr := (&rtp.Header{Version: 2}).MarshalSize()
	p.video = []pacedPacket{packet(1000, false), packet(1000, false), packet(500, true), packet(300, true)}
	if got, want := p.headFrameBytes(), 2500+3*hdr; got != want {
		t.Errorf("head frame %d bytes, want %d: up to its last packet only", got, want)
	}
	p.video = p.video[3:]
	if got, want := p.headFrameBytes(), 300+hdr; got != want {
		t.Errorf("after the large frame left: %d bytes, want %d", got, want)
	}
	p.video = []pacedPacket{packet(1000, false), packet(1000, false)}
	if got, want := p.headFrameBytes(), 2000+2*hdr; got != want {
		t.Errorf("a frame still arriving: %d bytes, want %d", got, want)
	}
}
