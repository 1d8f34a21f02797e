package jitter

import (
	"sync"
	"testing"
	"time"

	"duet/call/leaktest"
)

// TestConcurrentUse: Push from a receive goroutine, Pull from an audio
// goroutine, Stats and Reset from a third, all at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	leaktest.Check(t)
	b := newTestBuffer(t, newPCMCodec())
	src := testSignal(960)
	payload := encodePCM(src, nil)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for k := range 3000 {
			b.Push(uint16(k), uint32(k*960), payload, epoch.Add(time.Duration(k)*20*time.Millisecond))
		}
	}()
	go func() {
		defer wg.Done()
		out := make([]int16, 480)
		for range 6000 {
			b.Pull(out)
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 300 {
			if i%100 == 99 {
				b.Reset()
			}
			b.Stats()
		}
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Push, Pull and Stats did not finish in 30 s")
	}
	// The pusher runs far ahead of the puller, so the stream jumps and
	// overflows; what matters is that nothing races, blocks or overgrows.
	if s := b.Stats(); s.Packets > DefaultMaxPackets || s.Resets < 3 {
		t.Errorf("stats %+v", s)
	}
}

// steadyPackets returns n 20 ms packets of the test signal.
func steadyPackets(n int) [][]byte {
	src := testSignal(n * 960)
	p := make([][]byte, n)
	for k := range p {
		p[k] = encodePCM(src[k*960:(k+1)*960], nil)
	}
	return p
}

// TestSteadyStateDoesNotAllocate: Push and Pull allocate nothing once
// playing, decoding, concealing and time-scaling included.
func TestSteadyStateDoesNotAllocate(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	packets := steadyPackets(64)
	out := make([]int16, 480)
	k := 0
	step := func() {
		// Every 16th packet is lost and every 7th comes 30 ms late, so
		// concealment and time scaling run too.
		if k%16 != 15 {
			delay := time.Duration(k%7/6) * 30 * time.Millisecond
			b.Push(uint16(k), uint32(k*960), packets[k%len(packets)], epoch.Add(time.Duration(k)*20*time.Millisecond+delay))
		}
		b.Pull(out)
		b.Pull(out)
		k++
	}
	for range 500 {
		step()
	}
	if a := testing.AllocsPerRun(1000, step); a != 0 {
		t.Fatalf("%v allocations per packet", a)
	}
	s := b.Stats()
	if s.Concealed == 0 || s.Accelerates+s.Expands == 0 {
		t.Errorf("the loop did not conceal and time-scale: %+v", s)
	}
}

// BenchmarkPushPull is one 20 ms packet pushed and two 10 ms pulls on a
// clean link: the steady state's cost per packet.
func BenchmarkPushPull(b *testing.B) {
	buf := newTestBuffer(b, newPCMCodec())
	packets := steadyPackets(64)
	out := make([]int16, 480)
	k := 0
	b.ReportAllocs()
	for b.Loop() {
		buf.Push(uint16(k), uint32(k*960), packets[k%len(packets)], epoch.Add(time.Duration(k)*20*time.Millisecond))
		buf.Pull(out)
		buf.Pull(out)
		k++
	}
}

// BenchmarkPushPullJitter is the same with arrival times 0–100 ms late,
// for the jitter estimate's cost at a high target. The packets still come
// one per 20 ms of pulls, so once the level has grown there is nothing to
// time-scale; BenchmarkTimeScalerAccelerate is the cost of one such step.
func BenchmarkPushPullJitter(b *testing.B) {
	buf := newTestBuffer(b, newPCMCodec())
	packets := steadyPackets(64)
	out := make([]int16, 480)
	delays := make([]time.Duration, 1024)
	for i := range delays {
		delays[i] = time.Duration(i*7919%100) * time.Millisecond
	}
	k := 0
	b.ReportAllocs()
	for b.Loop() {
		at := epoch.Add(time.Duration(k)*20*time.Millisecond + delays[k%len(delays)])
		buf.Push(uint16(k), uint32(k*960), packets[k%len(packets)], at)
		buf.Pull(out)
		buf.Pull(out)
		k++
	}
	s := buf.Stats()
	b.ReportMetric(float64(s.Accelerates+s.Expands)/float64(k), "timescales/op")
	b.ReportMetric(100*s.ConcealedShare(), "%concealed")
}
