package phone_test

import (
	"context"
	"slices"
	"syscall"
	"testing"
	"time"

	"duet/call"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
	"duet/devices"
)

// BenchmarkAcceptToFirstFrame: from the callee's Accept to the first
// decoded remote frame on each side, median over 10 calls.
func BenchmarkAcceptToFirstFrame(b *testing.B) {
	for _, src := range sources {
		b.Run(src.name, func(b *testing.B) {
			r := newRig(b)
			benchAcceptToFirstFrame(b, r.phone("alice", 440, src.open(440)), r.phone("bob", 660, src.open(660)))
		})
	}
}

// sources are the synthetic cameras the call benchmarks run with: the
// flat test pattern, and the detailed scene that loads VP8 as a webcam.
var sources = []struct {
	name string
	open func(toneHz float64) func(*phone.Config)
}{
	{"pattern", func(float64) func(*phone.Config) { return func(*phone.Config) {} }},
	{"scene", func(toneHz float64) func(*phone.Config) {
		return func(cfg *phone.Config) {
			cfg.OpenCapture = func(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
				return devices.Open(ctx, devices.CaptureConfig{CameraID: devices.SyntheticSceneCameraID,
					MicrophoneID: devices.SyntheticMicrophoneID, Audio: true, Video: typ == proto.CallTypeVideo, ToneHz: toneHz})
			}
		}
	}},
}

func benchAcceptToFirstFrame(b *testing.B, alice, bob *testPhone) {
	const calls = 10
	var atCaller, atCallee []time.Duration
	for range max(b.N, calls) {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		cid, err := alice.Call(ctx, "bob", proto.CallTypeVideo, call.CallOptions{})
		if err != nil {
			b.Fatal(err)
		}
		expect[*proto.BeCalling](b, bob)
		start := time.Now()
		if err := bob.Accept(ctx, cid, proto.CallTypeVideo); err != nil {
			b.Fatal(err)
		}
		sb := expect[*phone.MediaStarted](b, bob).Session
		sa := expect[*phone.MediaStarted](b, alice).Session
		atCaller = append(atCaller, firstFrame(b, sa).Sub(start))
		atCallee = append(atCallee, firstFrame(b, sb).Sub(start))
		alice.Hangup(ctx)
		expect[*phone.MediaEnded](b, alice)
		expect[*phone.MediaEnded](b, bob)
		cancel()
	}
	b.ReportMetric(float64(median(atCaller).Milliseconds()), "caller-ms")
	b.ReportMetric(float64(median(atCallee).Milliseconds()), "callee-ms")
}

func firstFrame(tb testing.TB, s *media.Session) time.Time {
	eventually(tb, "first frame", func() bool { return s.RemoteVideo().Load().Seq > 0 })
	return s.RemoteVideo().Load().Decoded
}

// BenchmarkVideoCall: a two-way 640x480 video call for 20 s: glass-to-glass
// latency read from the synthetic frames' stamps, CPU seconds per minute of
// call per client (both clients and the server share this process), and the
// process's peak RSS.
func BenchmarkVideoCall(b *testing.B) {
	for _, src := range sources {
		b.Run(src.name, func(b *testing.B) { benchVideoCall(b, src.open) })
	}
}

func benchVideoCall(b *testing.B, open func(toneHz float64) func(*phone.Config)) {
	r := newRig(b)
	alice, bob := r.phone("alice", 440, open(440)), r.phone("bob", 660, open(660))
	var lat []time.Duration
	alice.onStamp = func(f media.Frame) {
		if _, captured, ok := devices.ReadFrameStamp(f.Image); ok {
			lat = append(lat, f.Decoded.Sub(captured))
		}
	}
	_, sa, sb := connectCall(b, alice, bob, proto.CallTypeVideo)
	for _, s := range []*media.Session{sa, sb} {
		firstFrame(b, s)
	}
	const length = 20 * time.Second
	cpu0, wall0 := cpuTime(), time.Now()
	time.Sleep(length)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	stA, stB := sa.Stats(), sb.Stats()
	alice.Hangup(context.Background())
	expect[*phone.MediaEnded](b, bob)

	alice.mu.Lock()
	got := slices.Clone(lat)
	alice.mu.Unlock()
	slices.Sort(got)
	b.ReportMetric(float64(median(got).Microseconds())/1000, "g2g-p50-ms")
	b.ReportMetric(float64(got[len(got)*99/100].Microseconds())/1000, "g2g-p99-ms")
	b.ReportMetric(cpu.Seconds()/wall.Minutes()/2, "cpu-s/min/client")
	b.ReportMetric((stA.FPS+stB.FPS)/2, "fps")
	b.ReportMetric((stA.SendKbps+stB.SendKbps)/2, "send-kbps")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func peakRSS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss * 1024
}
