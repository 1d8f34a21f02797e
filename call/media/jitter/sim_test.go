package jitter

import (
	"math"
	"slices"
	"testing"
	"time"
)

// link is a simulated network path carrying 440 Hz tone packets.
type link struct {
	frame int                       // samples per packet; 0 means 960 (20 ms)
	delay func(k int) time.Duration // one-way delay of packet k; nil means 5 ms
	lost  func(k int) bool          // packet k never arrives
	twice func(k int) bool          // packet k arrives twice, 1 ms apart
	fec   bool                      // packets carry the previous frame as FEC
	seq   func(k int) uint16        // packet k's sequence number; nil means k
	ts    func(k int) uint32        // packet k's timestamp; nil means k × frame
	after time.Duration             // how long to pull after the last packet was sent
	start time.Duration             // when packet 0 is sent, on the simulated clock
}

// run is what a simulation played.
type run struct {
	src     []int16      // the tone sent
	out     []int16      // what was pulled, pull after pull
	results []PullResult // one per pull
	stats   []Stats      // every statsTick of simulated time, from l.start
	pull    int          // samples per pull
}

// statsTick is how often a simulation samples the stats.
const statsTick = 10 * time.Millisecond

// epoch is the simulated clock's origin.
var epoch = time.Unix(1_000_000, 0)

// testMaxPayload holds two 60 ms frames of raw PCM: a frame and its FEC.
const testMaxPayload = 12 * 1024

func newTestBuffer(t testing.TB, dec Decoder) *Buffer {
	t.Helper()
	b, err := New(Config{SampleRate: testRate, Decoder: dec, MaxPayload: testMaxPayload})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// simulate sends packets 0…n-1 of a tone over l to b and pulls pull
// samples every pull's duration of simulated time, from the first packet
// until l.after past the last was sent. Nothing sleeps.
func simulate(b *Buffer, l link, n, pull int) run {
	if l.frame == 0 {
		l.frame = 960
	}
	if l.delay == nil {
		l.delay = func(int) time.Duration { return 5 * time.Millisecond }
	}
	sampleDur := func(samples int) time.Duration { return time.Duration(samples) * time.Second / testRate }
	r := run{src: testSignal(n * l.frame), pull: pull}

	type arrival struct {
		at time.Duration
		k  int
	}
	var arrivals []arrival
	for k := range n {
		if l.lost != nil && l.lost(k) {
			continue
		}
		at := sampleDur(k*l.frame) + l.delay(k)
		arrivals = append(arrivals, arrival{at, k})
		if l.twice != nil && l.twice(k) {
			arrivals = append(arrivals, arrival{at + time.Millisecond, k})
		}
	}
	slices.SortStableFunc(arrivals, func(a, b arrival) int { return int(a.at - b.at) })

	out := make([]int16, pull)
	end := sampleDur((n-1)*l.frame) + l.after
	for j := 0; sampleDur(j*pull) < end; j++ {
		now := sampleDur(j * pull)
		for len(arrivals) > 0 && arrivals[0].at <= now {
			k, at := arrivals[0].k, arrivals[0].at
			arrivals = arrivals[1:]
			var prev []int16
			if l.fec && k > 0 {
				prev = r.src[(k-1)*l.frame : k*l.frame]
			}
			seq, ts := uint16(k), uint32(k*l.frame)
			if l.seq != nil {
				seq = l.seq(k)
			}
			if l.ts != nil {
				ts = l.ts(k)
			}
			b.Push(seq, ts, encodePCM(r.src[k*l.frame:(k+1)*l.frame], prev), epoch.Add(l.start+at))
		}
		res := b.Pull(out)
		r.out = append(r.out, out...)
		r.results = append(r.results, res)
		for time.Duration(len(r.stats))*statsTick <= sampleDur((j+1)*pull) {
			r.stats = append(r.stats, b.Stats())
		}
	}
	return r
}

// testSignal is what the simulated peer sends: a 440 Hz tone whose level
// swells slowly by ±10 %, so that no stretch of it repeats and a frame can
// be found in the output by its samples.
func testSignal(n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		t := float64(i) / testRate
		pcm[i] = int16(math.Round(8000 * (1 + 0.1*math.Sin(2*math.Pi*0.3*t)) * math.Sin(2*math.Pi*440*t)))
	}
	return pcm
}

// start returns where playout started in r.out: the first pull that was
// not waiting, and the sample in it where the tone (which starts at 0)
// begins.
func (r run) start() int {
	for j, res := range r.results {
		if res != PullWaiting {
			for i := j * r.pull; i < len(r.out); i++ {
				if r.out[i] != 0 {
					return i - 1
				}
			}
		}
	}
	return -1
}

// statsAt returns the stats at simulated time d after the first packet
// was sent.
func (r run) statsAt(d time.Duration) Stats {
	return r.stats[min(int(d/statsTick), len(r.stats)-1)]
}

// outAt returns n output samples from d after playout started.
func (r run) outAt(d time.Duration, n int) []int16 {
	i := r.start() + int(d*testRate/time.Second)
	return r.out[i : i+n]
}

// last returns the final stats.
func (r run) last() Stats { return r.stats[len(r.stats)-1] }

// played returns r's output from where playout started.
func (r run) played() []int16 { return r.out[r.start():] }

// exact reports whether r played exactly what was sent, as far as it got.
func (r run) exact() bool {
	p := r.played()
	return len(p) <= len(r.src) && slices.Equal(p, r.src[:len(p)])
}
