package devices

import (
	"slices"
	"testing"
)

func seq(from, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(from + i)
	}
	return s
}

func TestPCMRingOrderAndWrap(t *testing.T) {
	r := newPCMRing(8, 0)
	out := make([]int16, 3)
	next := 1
	for range 20 { // many wraps
		r.write(seq(next, 3))
		r.read(out)
		if !slices.Equal(out, seq(next, 3)) {
			t.Fatalf("read %v, want %v", out, seq(next, 3))
		}
		next += 3
	}
	if r.dropped != 0 || r.underrun != 0 {
		t.Fatalf("dropped %d underrun %d", r.dropped, r.underrun)
	}
}

func TestPCMRingDropsOldest(t *testing.T) {
	r := newPCMRing(8, 0)
	r.write(seq(1, 6))
	r.write(seq(7, 6)) // 12 into 8: 1..4 dropped
	out := make([]int16, 8)
	r.read(out)
	if !slices.Equal(out, seq(5, 8)) || r.dropped != 4 {
		t.Fatalf("read %v dropped %d, want %v and 4", out, r.dropped, seq(5, 8))
	}
	r.write(seq(100, 20)) // larger than the ring: keep the newest 8
	r.read(out)
	if !slices.Equal(out, seq(112, 8)) || r.dropped != 16 {
		t.Fatalf("read %v dropped %d, want %v and 16", out, r.dropped, seq(112, 8))
	}
}

func TestPCMRingPrefillAndUnderrun(t *testing.T) {
	r := newPCMRing(16, 6)
	out := make([]int16, 4)
	r.write(seq(1, 4))
	r.read(out) // below prefill: silence, nothing consumed
	if !slices.Equal(out, make([]int16, 4)) || r.n != 4 || r.underrun != 0 {
		t.Fatalf("before prefill: %v n=%d underrun=%d", out, r.n, r.underrun)
	}
	r.write(seq(5, 2))
	r.read(out)
	if !slices.Equal(out, seq(1, 4)) {
		t.Fatalf("after prefill: %v", out)
	}
	r.read(out) // 2 left: plays them, then silence, counts an underrun
	if !slices.Equal(out, []int16{5, 6, 0, 0}) || r.underrun != 1 {
		t.Fatalf("underrun: %v underrun=%d", out, r.underrun)
	}
	r.write(seq(7, 4))
	r.read(out) // waits for prefill again
	if !slices.Equal(out, make([]int16, 4)) {
		t.Fatalf("refill: %v", out)
	}
}
