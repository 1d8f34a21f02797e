package jitter

import (
	"slices"
	"testing"
	"time"
)

// TestStreamRestarts: when the peer's stream jumps — its encoder restarts,
// its timestamps leap or go back — the buffer starts over with the new
// stream instead of concealing toward it or dropping it as late.
func TestStreamRestarts(t *testing.T) {
	const at = 150 // the packet where the stream jumps
	const minute = 60 * testRate
	jump := func(before, after func(k int) int) func(k int) int {
		return func(k int) int {
			if k < at {
				return before(k)
			}
			return after(k)
		}
	}
	seqK := func(k int) int { return k }
	tsK := func(k int) int { return k * 960 }
	for _, tc := range []struct {
		name      string
		seq, ts   func(k int) int
		lost      func(k int) bool
		concealed time.Duration // at most
	}{
		{"timestamps leap 10 minutes", seqK, jump(tsK, func(k int) int { return k*960 + 10*minute }), nil, 30 * time.Millisecond},
		{"timestamps go back 10 minutes", seqK, jump(tsK, func(k int) int { return k*960 - 10*minute }), nil, 30 * time.Millisecond},
		{"encoder restarts", jump(seqK, func(k int) int { return 40000 + k }), jump(tsK, func(k int) int { return 123456789 + k*960 }), nil, 30 * time.Millisecond},
		// Going back less than the resync gap: the packets come late, and
		// keep coming late while nothing else does.
		{"timestamps go back 1 s", seqK, jump(tsK, func(k int) int { return k*960 - testRate }), nil, 300 * time.Millisecond},
		{"timestamps go back 300 ms", seqK, jump(tsK, func(k int) int { return k*960 - 300*testRate/1000 }), nil, 300 * time.Millisecond},
		// Sending pauses for a second with the clock stopped: the packets
		// after come a second behind the playout point.
		{"sender pauses its clock", seqK, func(k int) int { return min(k, max(k-50, at)) * 960 },
			func(k int) bool { return k >= at && k < at+50 }, 1300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBuffer(t, newPCMCodec())
			r := simulate(b, link{
				seq:  func(k int) uint16 { return uint16(tc.seq(k)) },
				ts:   func(k int) uint32 { return uint32(tc.ts(k)) },
				lost: tc.lost,
			}, 400, 480)
			s := r.last()
			if s.Resets != 1 || r.duration(s.Concealed) > tc.concealed || s.Late > lateRunResync+1 {
				t.Errorf("resets %d, concealed %v, late %d; want 1 reset, at most %v concealed",
					s.Resets, r.duration(s.Concealed), s.Late, tc.concealed)
			}
			// The new stream plays as sent.
			if i := index(r.out, r.src[300*960:350*960]); i < 0 {
				t.Error("the new stream does not play as sent")
			}
		})
	}
}

// TestStrayPacket: one packet far from the stream does not restart it,
// not even when the stream loses a packet soon after and the next comes
// late.
func TestStrayPacket(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	src := testSignal(300 * 960)
	out := make([]int16, 480)
	var played []int16
	push := func(k int) {
		now := epoch.Add(time.Duration(k) * 20 * time.Millisecond)
		b.Push(uint16(k), uint32(k*960), encodePCM(src[k*960:(k+1)*960], nil), now)
	}
	pull := func() {
		b.Pull(out)
		played = append(played, out...)
	}
	for k := range 300 {
		switch k {
		case 100:
			push(k)
			b.Push(9999, 77777777, encodePCM(src[:960], nil), epoch.Add(2*time.Second))
		case 103: // lost
		case 104: // comes 30 ms late
		case 105:
			push(k)
			pull()
			push(104)
			pull()
			continue
		default:
			push(k)
		}
		pull()
		pull()
	}
	s := b.Stats()
	if s.Resets != 0 || s.Invalid != 1 || s.Late != 0 {
		t.Errorf("resets %d invalid %d late %d, want 0, 1 (the stray, forgotten) and 0", s.Resets, s.Invalid, s.Late)
	}
	if index(played, src[:103*960]) < 0 || index(played, src[104*960+240:290*960]) < 0 {
		t.Error("the stream does not play as sent")
	}
}

// TestNewStreamOfOnePacket: a packet far from the stream is played once
// the old stream has run dry, even if no second one confirms it.
func TestNewStreamOfOnePacket(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	src := testSignal(51 * 960)
	out := make([]int16, 480)
	var played []int16
	for k := range 60 {
		now := epoch.Add(time.Duration(k) * 20 * time.Millisecond)
		switch {
		case k < 50:
			b.Push(uint16(k), uint32(k*960), encodePCM(src[k*960:(k+1)*960], nil), now)
		case k == 50:
			b.Push(20000, 5_000_000, encodePCM(src[50*960:], nil), now)
		}
		for range 2 {
			b.Pull(out)
			played = append(played, out...)
		}
	}
	if s := b.Stats(); s.Resets != 1 {
		t.Errorf("resets %d, want 1", s.Resets)
	}
	if index(played, src[50*960:]) < 0 {
		t.Error("the new stream's packet was not played")
	}
}

// TestReset: Reset drops the old stream and plays a new one (a new SSRC)
// as sent, keeping the jitter estimate. What was left of the old one
// plays out faded, so that it does not end in a click.
func TestReset(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	simulate(b, link{}, 100, 480)
	b.Pull(make([]int16, 300)) // leave part of a frame in the buffer
	left := b.syncLen - b.syncPos
	jitter := b.Stats().Jitter
	b.Reset()
	if s := b.Stats(); s.Resets != 1 || s.Packets != 0 || s.Jitter != jitter {
		t.Fatalf("after Reset: %+v", s)
	}
	second := simulate(b, link{
		start: 2 * time.Second,
		seq:   func(k int) uint16 { return uint16(5000 + k) },
		ts:    func(k int) uint32 { return uint32(987654321 + k*960) },
	}, 200, 480)
	s := b.Stats()
	if s.Resets != 1 || s.Late != 0 || s.Duplicates != 0 {
		t.Errorf("stats %+v", s)
	}
	if left == 0 {
		t.Fatal("nothing of the old stream was left at Reset")
	}
	if end := second.out[left-1]; end > 100 || end < -100 {
		t.Errorf("the old stream ends at %d, not faded out", end)
	}
	i := index(second.out, second.src[:10*960])
	if i < left || !slices.Equal(second.out[i:], second.src[:len(second.out)-i]) || len(second.out)-i < len(second.src)-3*960 {
		t.Errorf("the new stream does not play as sent (from %d)", i)
	}
}
