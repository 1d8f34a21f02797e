package jitter

import (
	"errors"
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

// TestInvalidPackets: empty and oversized payloads are dropped and counted.
func TestInvalidPackets(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	b.Push(1, 960, nil, epoch)
	b.Push(2, 1920, make([]byte, testMaxPayload+1), epoch)
	if s := b.Stats(); s.Invalid != 2 || s.Packets != 0 {
		t.Fatalf("invalid %d packets %d", s.Invalid, s.Packets)
	}
}

// failingCodec fails in the ways a decoder may, on packets whose payload
// starts with its mode byte.
type failingCodec struct{ *pcmCodec }

const (
	failError   = 0xf1 // Decode returns an error
	failTooLong = 0xf2 // Decode claims more samples than pcm holds
	failNothing = 0xf3 // Decode returns 0 samples
	failFEC     = 0xf4 // DecodeFEC fails on it
)

func (c failingCodec) Decode(p []byte, pcm []int16) (int, error) {
	switch p[0] {
	case failError:
		return 0, errors.New("broken packet")
	case failTooLong:
		return len(pcm) + 1, nil
	case failNothing:
		return 0, nil
	}
	return c.pcmCodec.Decode(p[1:], pcm)
}

func (c failingCodec) DecodeFEC(p []byte, pcm []int16) (int, error) {
	if p[0] == failFEC {
		return 0, errors.New("broken FEC")
	}
	return c.pcmCodec.DecodeFEC(p[1:], pcm)
}

func (c failingCodec) Conceal(pcm []int16) (int, error) {
	c.pcmCodec.Conceal(pcm)
	return -1, errors.New("cannot conceal") // the buffer falls back to silence
}

// TestDecoderFailures: a packet the decoder fails on is concealed, counted
// as invalid, and playout goes on.
func TestDecoderFailures(t *testing.T) {
	b := newTestBuffer(t, failingCodec{newPCMCodec()})
	src := testSignal(100 * 960)
	out := make([]int16, 480)
	modes := map[int]byte{20: failError, 40: failTooLong, 60: failNothing}
	for k := range 100 {
		mode := modes[k]
		payload := append([]byte{mode}, encodePCM(src[k*960:(k+1)*960], src[max(k-1, 0)*960:max(k, 1)*960])...)
		if k == 80 {
			continue // lost, and its successor's FEC fails
		}
		if k == 81 {
			payload[0] = failFEC
		}
		b.Push(uint16(k), uint32(k*960), payload, epoch.Add(time.Duration(k)*20*time.Millisecond))
		b.Pull(out)
		b.Pull(out)
	}
	s := b.Stats()
	if s.Invalid != 3 || s.Concealed != 4*960 || s.Resets != 0 {
		t.Errorf("invalid %d concealed %d resets %d, want 3, %d and 0", s.Invalid, s.Concealed, 4*960, s.Resets)
	}
}

func TestConfig(t *testing.T) {
	dec := newPCMCodec()
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{SampleRate: 48000, Decoder: dec}, true},
		{"8 kHz", Config{SampleRate: 8000, Decoder: dec}, true},
		{"no rate", Config{Decoder: dec}, false},
		{"no decoder", Config{SampleRate: 48000}, false},
		{"rate too high", Config{SampleRate: 384000, Decoder: dec}, false},
		{"max delay too short", Config{SampleRate: 48000, Decoder: dec, MaxDelay: time.Millisecond}, false},
		{"max delay too long", Config{SampleRate: 48000, Decoder: dec, MaxDelay: time.Minute}, false},
		{"one packet", Config{SampleRate: 48000, Decoder: dec, MaxPackets: 1}, false},
		{"negative packets", Config{SampleRate: 48000, Decoder: dec, MaxPackets: -5}, false},
		{"frame too long", Config{SampleRate: 48000, Decoder: dec, MaxFrame: time.Second}, false},
		{"payload too large", Config{SampleRate: 48000, Decoder: dec, MaxPayload: 1 << 20}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(tc.cfg)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidConfig)) || (b == nil) == tc.ok {
				t.Fatalf("New: %v, %v", b, err)
			}
		})
	}
}

func TestPullResultString(t *testing.T) {
	for r, want := range map[PullResult]string{
		PullUnknown:    "unknown",
		PullWaiting:    "waiting",
		PullNormal:     "normal",
		PullRecovered:  "recovered",
		PullConcealed:  "concealed",
		PullSilent:     "silent",
		PullResult(99): "unknown",
	} {
		if got := r.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", r, got, want)
		}
	}
}

func TestPullResultAnd(t *testing.T) {
	for _, tc := range []struct{ a, b, want PullResult }{
		{PullUnknown, PullNormal, PullNormal},
		{PullNormal, PullNormal, PullNormal},
		{PullWaiting, PullNormal, PullNormal},
		{PullNormal, PullWaiting, PullNormal},
		{PullUnknown, PullWaiting, PullWaiting},
		{PullNormal, PullRecovered, PullRecovered},
		{PullConcealed, PullNormal, PullConcealed},
		{PullRecovered, PullConcealed, PullConcealed},
		{PullSilent, PullSilent, PullSilent},
		{PullSilent, PullNormal, PullConcealed},
		{PullNormal, PullSilent, PullConcealed},
		{PullConcealed, PullSilent, PullConcealed},
	} {
		if got := tc.a.and(tc.b); got != tc.want {
			t.Errorf("%v and %v = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestPlayStateString(t *testing.T) {
	for s, want := range map[playState]string{
		stateUnknown:  "unknown",
		stateWaiting:  "waiting",
		statePlaying:  "playing",
		playState(42): "unknown",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", s, got, want)
		}
	}
}

func TestConcealedShare(t *testing.T) {
	if got := (Stats{}).ConcealedShare(); got != 0 {
		t.Errorf("nothing played: %v", got)
	}
	if got := (Stats{Played: 1000, Concealed: 25}).ConcealedShare(); got != 0.025 {
		t.Errorf("25 of 1000: %v", got)
	}
}

// TestNoPull: with nobody pulling (no speaker), the packets held stay
// bounded, the newest kept, and playout starts from them when pulls begin.
func TestNoPull(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	packets := steadyPackets(600)
	for k := range 500 {
		b.Push(uint16(k), uint32(k*960), packets[k], epoch.Add(time.Duration(k)*20*time.Millisecond))
	}
	s := b.Stats()
	if s.Packets != DefaultMaxPackets || s.Overflow != 500-DefaultMaxPackets || s.Resets != 0 || s.Invalid != 0 {
		t.Fatalf("after 10 s without pulls: %+v", s)
	}
	out := make([]int16, 480)
	for k := 500; k < 600; k++ {
		b.Push(uint16(k), uint32(k*960), packets[k], epoch.Add(time.Duration(k)*20*time.Millisecond))
		b.Pull(out)
		b.Pull(out)
	}
	if s := b.Stats(); s.Played == 0 || s.Resets != 0 || s.Level > 600*time.Millisecond {
		t.Errorf("once pulled: %+v", s)
	}
}

// TestDuplicateWhenFull: a duplicate arriving when the buffer is full
// does not push out a packet.
func TestDuplicateWhenFull(t *testing.T) {
	b, err := New(Config{SampleRate: testRate, Decoder: newPCMCodec(), MaxPackets: 4, MaxPayload: testMaxPayload})
	if err != nil {
		t.Fatal(err)
	}
	frame := encodePCM(testSignal(960), nil)
	for k := range 4 {
		b.Push(uint16(k), uint32(k*960), frame, epoch)
	}
	b.Push(9, 960, frame, epoch)
	if s := b.Stats(); s.Packets != 4 || s.Duplicates != 1 || s.Overflow != 0 {
		t.Fatalf("%+v", s)
	}
}
