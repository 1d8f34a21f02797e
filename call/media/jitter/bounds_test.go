package jitter

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestFlood: a flood of packets holds at most MaxPackets, dropping the
// oldest; every pull is still filled, and playout recovers once the flood
// stops.
func TestFlood(t *testing.T) {
	for _, tc := range []struct {
		name     string
		seq      func(rng *rand.Rand, k int) uint16
		ts       func(rng *rand.Rand, k int) uint32
		overflow bool
	}{
		{"just ahead of the stream",
			func(rng *rand.Rand, k int) uint16 { return uint16(k + 1 + rng.IntN(500)) },
			func(rng *rand.Rand, k int) uint32 { return uint32(k*960 + 960 + rng.IntN(19200)) },
			true},
		// Far enough ahead to look like new streams starting.
		{"far ahead of the stream",
			func(rng *rand.Rand, k int) uint16 { return uint16(k + 1 + rng.IntN(500)) },
			func(rng *rand.Rand, k int) uint32 { return uint32(k*960 + 4800 + rng.IntN(90000)) },
			false},
		{"anywhere",
			func(rng *rand.Rand, k int) uint16 { return uint16(rng.Uint32()) },
			func(rng *rand.Rand, k int) uint32 { return rng.Uint32() },
			false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBuffer(t, newPCMCodec())
			rng := rand.New(rand.NewPCG(3, 4))
			frame := encodePCM(testSignal(960), nil)
			out := make([]int16, 480)
			var res PullResult
			for k := range 1000 {
				now := epoch.Add(time.Duration(k) * 20 * time.Millisecond)
				b.Push(uint16(k), uint32(k*960), frame, now)
				if k >= 100 && k < 200 {
					for range 100 {
						b.Push(tc.seq(rng, k), tc.ts(rng, k), frame, now)
					}
				}
				for range 2 {
					for i := range out {
						out[i] = 12345
					}
					res = b.Pull(out)
					if out[len(out)-1] == 12345 {
						t.Fatal("pull not filled")
					}
				}
				if n := b.packets.len(); n > DefaultMaxPackets {
					t.Fatalf("%d packets held", n)
				}
			}
			s := b.Stats()
			t.Logf("after the flood: %+v", s)
			if tc.overflow && s.Overflow == 0 {
				t.Error("nothing dropped for the bound")
			}
			// Flood packets just ahead look like the fastest ever, and the
			// jitter estimate takes the others for late ones for a while.
			if res != PullNormal || s.Level > 60*time.Millisecond {
				t.Errorf("16 s after the flood the last pull was %v, the level %v", res, s.Level)
			}
		})
	}
}
