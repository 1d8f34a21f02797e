package jitter

import (
	"math"
	"slices"
	"testing"
	"time"
)

// gapAt is where packet k's audio plays in a run's output.
func (r run) gapAt(k int) int { return r.start() + k*960 }

// checkTone fails t unless r.out around index i (100 ms centred on it)
// keeps the tone's frequency and most of its level.
func checkTone(t *testing.T, r run, i int) {
	t.Helper()
	win := r.out[i-2400 : i+2400]
	if f := dominantHz(win); math.Abs(f-440) > 5 {
		t.Errorf("dominant frequency around the gap %v Hz, want 440", f)
	}
	if got, want := rms(win), rms(r.src[:4800]); got < want/2 {
		t.Errorf("level around the gap %.3f, the tone's is %.3f", got, want)
	}
}

// pairs is a link on which packets arrive two by two, so that the buffer
// holds the next packet when one is due.
func pairs(k int) time.Duration {
	if k%2 == 0 {
		return 25 * time.Millisecond
	}
	return 5 * time.Millisecond
}

func TestSingleLoss(t *testing.T) {
	lost100 := func(k int) bool { return k == 100 }
	for _, tc := range []struct {
		name                 string
		link                 link
		dec                  func(*pcmCodec) Decoder
		concealed, recovered uint64
	}{
		// On a clean link the next packet is not there yet when the lost
		// one is due: FEC comes too late.
		{"concealed on a clean link", link{fec: true, lost: lost100}, nil, 960, 0},
		{"recovered from FEC when the next is there", link{fec: true, lost: lost100, delay: pairs}, nil, 0, 960},
		{"concealed when the next has no FEC", link{lost: lost100, delay: pairs}, nil, 960, 0},
		// Without FEC detection the buffer trusts DecodeFEC, which conceals.
		{"decoder without FEC detection", link{lost: lost100, delay: pairs}, func(c *pcmCodec) Decoder { return plainCodec{c} }, 0, 960},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codec := newPCMCodec()
			var dec Decoder = codec
			if tc.dec != nil {
				dec = tc.dec(codec)
			}
			b := newTestBuffer(t, dec)
			r := simulate(b, tc.link, 300, 480)
			s := r.last()
			if s.Concealed != tc.concealed || s.Recovered != tc.recovered || s.Late != 0 {
				t.Errorf("concealed %d recovered %d late %d, want %d, %d and 0", s.Concealed, s.Recovered, s.Late, tc.concealed, tc.recovered)
			}
			lost := r.src[100*960 : 101*960]
			at := index(r.out, lost)
			if recovered := at >= 0; recovered != (tc.link.fec && tc.recovered > 0) {
				t.Errorf("the lost frame is in the output: %v", recovered)
			}
			// The output is the tone until the gap, and again from a little
			// after it: packet 102 onward plays unchanged.
			if before := r.src[98*960 : 100*960]; index(r.out, before) < 0 {
				t.Error("the two frames before the gap are not in the output")
			}
			after := r.src[102*960 : 104*960]
			i := index(r.out, after)
			if i < 0 {
				t.Fatal("the two frames after the gap are not in the output")
			}
			checkTone(t, r, i-960)
		})
	}
}

// index returns where seg starts in pcm, or -1.
func index(pcm, seg []int16) int {
	for i := 0; i+len(seg) <= len(pcm); i++ {
		if pcm[i] == seg[0] && slices.Equal(pcm[i:i+len(seg)], seg) {
			return i
		}
	}
	return -1
}

// TestLatePacket: a packet delayed past its playout time is concealed and
// dropped when it comes, and does not move the target.
func TestLatePacket(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	r := simulate(b, link{delay: func(k int) time.Duration {
		if k == 200 {
			return 100 * time.Millisecond
		}
		return 5 * time.Millisecond
	}}, 400, 480)
	s := r.last()
	if s.Late != 1 || s.Concealed != 960 || s.Accelerates+s.Expands != 0 {
		t.Errorf("stats %+v, want 1 late, 960 samples concealed, no time scaling", s)
	}
	checkTone(t, r, r.gapAt(200))
	if s.Target > 30*time.Millisecond {
		t.Errorf("one late packet grew the target to %v", s.Target)
	}
}

// TestDelayStep: when every packet from one on comes 100 ms later, the
// buffer conceals until they come and then plays them all: the delay grows
// at once, nothing is dropped, and the output is the tone again.
func TestDelayStep(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	r := simulate(b, link{delay: func(k int) time.Duration {
		if k >= 200 {
			return 105 * time.Millisecond
		}
		return 5 * time.Millisecond
	}}, 1000, 480)
	s := r.statsAt(4500 * time.Millisecond)
	t.Logf("after the step: %+v", s)
	if s.Late != 0 || s.Concealed < 4800 || s.Concealed > 6000 {
		t.Errorf("late %d concealed %v, want none late and about 100 ms concealed", s.Late, r.duration(s.Concealed))
	}
	checkTone(t, r, r.gapAt(210))
	// The jitter estimate takes the step for jitter until the fast packets
	// before it leave its 2 s window and then the histogram forgets them.
	if s := r.last(); s.Level > 60*time.Millisecond {
		t.Errorf("level %v 16 s after the step, want it back near the target %v", s.Level, s.Target)
	}
}

// TestLongOutage: three seconds without packets fade to silence instead of
// buzzing, and the tone comes back when the packets do, without a reset.
func TestLongOutage(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	r := simulate(b, link{lost: func(k int) bool { return k >= 200 && k < 350 }}, 500, 480)
	s := r.last()
	if s.Resets != 0 || s.Late != 0 {
		t.Errorf("resets %d late %d", s.Resets, s.Late)
	}
	if got := r.duration(s.Concealed); got < 2990*time.Millisecond || got > 3030*time.Millisecond {
		t.Errorf("concealed %v, want the 3 s outage", got)
	}
	gap := r.gapAt(200)
	ms := testRate / 1000
	if loud := maxAbs(r.out[gap : gap+100*ms]); loud < 7000 {
		t.Errorf("concealment under the tone's level at first: peak %d", loud)
	}
	if fading := maxAbs(r.out[gap+140*ms : gap+150*ms]); fading > 2000 {
		t.Errorf("concealment still loud 140 ms in: peak %d", fading)
	}
	if quiet := maxAbs(r.out[gap+150*ms : gap+2900*ms]); quiet != 0 {
		t.Errorf("not silent 150 ms into the outage: peak %d", quiet)
	}
	back := r.gapAt(350)
	checkTone(t, r, back+2400)
	if after := back + 960 + b.scaler.overlap; !slices.Equal(r.out[after:], r.src[after-r.start():len(r.out)-r.start()]) {
		t.Error("output after the outage differs from the tone")
	}
	if got, tone := maxStep(r.out[back-4800:back+4800]), maxStep(r.src); got > tone*11/10 {
		t.Errorf("the tone comes back with a click: step %d, the tone's own %d", got, tone)
	}
}

func maxAbs(pcm []int16) int {
	m := 0
	for _, v := range pcm {
		m = max(m, int(v), -int(v))
	}
	return m
}

// duration converts samples to time.
func (r run) duration(samples uint64) time.Duration {
	return time.Duration(samples) * time.Second / testRate
}
