package devices

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The Opus benchmarks use speech-like audio at Duet's settings (48 kHz mono,
// 32 kbit/s, 10 % loss expected so packets carry FEC). Besides ns/op they
// report the CPU time of the measured call per 20 ms frame (the benchmark's
// own thread's, so neither setup nor the garbage collector counts) and that
// as a share of one core for one live stream.

func BenchmarkOpusEncode20ms(b *testing.B) {
	enc := newTestEncoder(b, DefaultAudioBitrate)
	if err := enc.SetPacketLossPercent(10); err != nil {
		b.Fatal(err)
	}
	pcm := speechLike(48000, 960*50)
	out := make([]byte, MaxOpusPacketBytes)
	cpu := newCPUClock(b)
	for i := 0; b.Loop(); i++ {
		frame := pcm[i%50*960 : (i%50+1)*960]
		cpu.start()
		_, err := enc.Encode(frame, out)
		cpu.stop()
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu.report()
}

func BenchmarkOpusDecode20ms(b *testing.B) {
	benchmarkDecoder(b, func(dec *OpusDecoder, pkt, _ []byte, pcm []int16, cpu *cpuClock) error {
		cpu.start()
		defer cpu.stop()
		_, err := dec.Decode(pkt, pcm)
		return err
	})
}

// Every other packet is lost; only the concealment is measured.
func BenchmarkOpusConceal20ms(b *testing.B) {
	benchmarkDecoder(b, func(dec *OpusDecoder, pkt, _ []byte, pcm []int16, cpu *cpuClock) error {
		if err := untimed(b, func() error { _, err := dec.Decode(pkt, pcm); return err }); err != nil {
			return err
		}
		cpu.start()
		defer cpu.stop()
		_, err := dec.Conceal(pcm[:960])
		return err
	})
}

// Every other packet is lost and rebuilt from the next one's FEC; only the
// recovery is measured.
func BenchmarkOpusDecodeFEC20ms(b *testing.B) {
	benchmarkDecoder(b, func(dec *OpusDecoder, pkt, next []byte, pcm []int16, cpu *cpuClock) error {
		if err := untimed(b, func() error { _, err := dec.Decode(pkt, pcm); return err }); err != nil {
			return err
		}
		cpu.start()
		defer cpu.stop()
		_, err := dec.DecodeFEC(next, pcm[:960])
		return err
	})
}

// benchmarkDecoder runs step over 1 s of packets in a loop.
func benchmarkDecoder(b *testing.B, step func(dec *OpusDecoder, pkt, next []byte, pcm []int16, cpu *cpuClock) error) {
	pkts := encodeSpeech(b, 50, DefaultAudioBitrate, 10)
	dec := newTestDecoder(b)
	pcm := make([]int16, dec.MaxSamples())
	cpu := newCPUClock(b)
	for i := 0; b.Loop(); i++ {
		if err := step(dec, pkts[i%50], pkts[(i+1)%50], pcm, cpu); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report()
}

// untimed runs f with the benchmark timer stopped.
func untimed(b *testing.B, f func() error) error {
	b.StopTimer()
	defer b.StartTimer()
	return f()
}

// cpuClock adds up the CPU time of the benchmark's thread between start and
// stop. It locks the goroutine to its thread until the benchmark ends.
type cpuClock struct {
	b     *testing.B
	total time.Duration
	since time.Duration
}

func newCPUClock(b *testing.B) *cpuClock {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	return &cpuClock{b: b}
}

func (c *cpuClock) start() { c.since = threadCPU(c.b) }
func (c *cpuClock) stop()  { c.total += threadCPU(c.b) - c.since }

// report adds cpu-µs/frame (one loop iteration measures one frame) and
// core-%/stream: that CPU over the 20 ms the frame lasts.
func (c *cpuClock) report() {
	per := c.total / time.Duration(c.b.N)
	c.b.ReportMetric(float64(per.Nanoseconds())/1e3, "cpu-µs/frame")
	c.b.ReportMetric(100*per.Seconds()/opusFrame.Seconds(), "core-%/stream")
}

// threadCPU reads the thread's CPU clock, which unlike getrusage counts
// nanoseconds rather than scheduler ticks.
func threadCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}
