package apm_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"duet/devices/apm"
)

// scene is one run of the offline rig: the far end talks throughout,
// the near end only in a double-talk window, and the microphone hears the
// near end, the far end's echo through the room and stationary noise.
type scene struct {
	echoDelay time.Duration
	delayHint time.Duration // what the processor is told; 0 tells it echoDelay
	echoGain  float64       // the echo path's direct-sound gain
	noiseDB   float64
	length    time.Duration
	talkFrom  time.Duration // double talk
	talkTo    time.Duration
}

var defaultScene = scene{echoDelay: 60 * time.Millisecond, echoGain: 0.4, noiseDB: -65,
	length: 20 * time.Second, talkFrom: 14 * time.Second, talkTo: 18 * time.Second}

// maxProcessingDelay bounds the lag searched between the clean near end
// and the output: the echo canceller and the noise suppressor together
// delay the microphone by 14 ms at 48 kHz.
const maxProcessingDelay = 30 * time.Millisecond

// result is what the rig measures.
type result struct {
	erle        float64       // dB, echo-only steady state (from 8 s until the double talk)
	convergence time.Duration // until the echo stays 10 dB down (300 ms windows)
	nearCorr    float64       // output against the clean near end, during double talk
	nearDelay   time.Duration // how far behind the near end the output came
	nearLoss    float64       // dB, the near end's power lost during double talk
	noiseCut    float64       // dB, noise removed where nobody talks
	perFrame    time.Duration // CPU time of a Render and a Capture
}

// signals builds the rig's far end, microphone and clean near end,
// through WAV files as the test's talkers.
func (sc scene) signals(t testing.TB) (far, mic []int16, near, echo []float64) {
	t.Helper()
	farF := toFloat(throughWAV(t, "far.wav", speechLike(sc.length, 120, 1)))
	nearF := gated(toFloat(throughWAV(t, "near.wav", speechLike(sc.length, 210, 2))), sc.talkFrom, sc.talkTo)
	echo = room(farF, sc.echoDelay, sc.echoGain)
	mic = toPCM(add(echo, nearF, noise(len(farF), sc.noiseDB, 3)))
	return toPCM(farF), mic, nearF, echo
}

// run feeds the processor 10 ms at a time, the far end's frame before the
// microphone's of the same moment, as the call's audio loop does. It
// returns the output and the CPU time a frame took, read from the feeding
// thread's own clock so that waiting for a loaded machine does not count.
func run(t testing.TB, p *apm.Processor, far, mic []int16, delayHint time.Duration) ([]float64, time.Duration) {
	t.Helper()
	n := p.FrameSamples()
	out := make([]int16, len(mic))
	copy(out, mic)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU(t)
	frames := 0
	for i := 0; i+n <= len(out); i += n {
		if err := p.Render(far[i : i+n]); err != nil {
			t.Fatal(err)
		}
		if err := p.Capture(out[i:i+n], delayHint); err != nil {
			t.Fatal(err)
		}
		frames++
	}
	return toFloat(out), (threadCPU(t) - start) / time.Duration(frames)
}

// threadCPU reads the calling thread's CPU clock.
func threadCPU(t testing.TB) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

func (sc scene) measure(t testing.TB, cfg apm.Config) result {
	t.Helper()
	far, mic, near, echo := sc.signals(t)
	cfg.SampleRate = rate
	p, err := apm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	hint := sc.echoDelay
	if sc.delayHint != 0 {
		hint = sc.delayHint
	}
	out, perFrame := run(t, p, far, mic, hint)
	micF := toFloat(mic)
	r := result{perFrame: perFrame, convergence: -1}
	r.erle = db(power(micF, 8*time.Second, sc.talkFrom) / power(out, 8*time.Second, sc.talkFrom))
	// Only windows where there is echo to remove count: in the far end's
	// pauses the microphone hears the noise alone.
	const window = 300 * time.Millisecond
	noiseFloor := power(noise(len(micF), sc.noiseDB, 3), 0, sc.length)
	for at := time.Duration(0); at+window <= sc.talkFrom; at += window {
		if power(echo, at, at+window) < 100*noiseFloor {
			continue
		}
		if db(power(micF, at, at+window)/power(out, at, at+window)) < 10 {
			r.convergence = -1
			continue
		}
		if r.convergence < 0 {
			r.convergence = at + window
		}
	}
	r.nearCorr, r.nearDelay = correlation(near, out, sc.talkFrom, sc.talkTo, maxProcessingDelay)
	r.nearLoss = db(power(near, sc.talkFrom, sc.talkTo) / power(out, sc.talkFrom, sc.talkTo))
	return r
}

// noiseCut runs noise suppression alone on a microphone that hears the
// near end's phrases and stationary noise, and returns by how much the
// noise fell in the gaps between phrases once the suppressor has had 3 s
// to learn it.
func noiseCut(t testing.TB, sc scene) float64 {
	t.Helper()
	near := speechLike(sc.length, 210, 2)
	hum := noise(len(near), sc.noiseDB+10, 3)
	mic := toPCM(add(near, hum))
	p, err := apm.New(apm.Config{SampleRate: rate, NoiseSuppress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out, _ := run(t, p, make([]int16, len(mic)), mic, 0)
	micF := toFloat(mic)
	const window = 100 * time.Millisecond
	var in, left float64
	for at := 3 * time.Second; at+window <= sc.length; at += window {
		if power(near, at, at+window) < power(hum, at, at+window)/1000 {
			in += power(micF, at, at+window)
			left += power(out, at, at+window)
		}
	}
	return db(in / left)
}

func (r result) String() string {
	return fmt.Sprintf("ERLE %.1f dB, converged in %v, near end during double talk r=%.2f %v behind (%.1f dB lost), %v CPU a frame",
		r.erle, r.convergence, r.nearCorr, r.nearDelay.Round(10*time.Microsecond), r.nearLoss, r.perFrame.Round(time.Microsecond))
}

// everything is what a call on a real microphone gets.
var everything = apm.Config{EchoCancel: true, NoiseSuppress: true, GainControl: true, HighPass: true}

// TestEchoCancellerRemovesTheEcho: with the far end's played audio as its
// reference, the canceller takes the echo at least 25 dB down within 2 s,
// and a processor without it does not (the rig measures what it claims).
func TestEchoCancellerRemovesTheEcho(t *testing.T) {
	for _, tc := range []struct{ delay, hint time.Duration }{
		{30 * time.Millisecond, 0},
		{60 * time.Millisecond, 0},
		{120 * time.Millisecond, 0},
		// A sound server's reported delay can be far off: the canceller
		// finds the echo from the signals.
		{120 * time.Millisecond, 10 * time.Millisecond},
	} {
		name := tc.delay.String()
		if tc.hint != 0 {
			name += "_told_" + tc.hint.String()
		}
		t.Run(name, func(t *testing.T) {
			sc := defaultScene
			sc.echoDelay, sc.delayHint = tc.delay, tc.hint
			r := sc.measure(t, apm.Config{EchoCancel: true, HighPass: true})
			t.Log(r)
			if r.erle < 25 {
				t.Errorf("echo reduced by %.1f dB in steady state, want at least 25", r.erle)
			}
			if r.convergence < 0 || r.convergence > 2*time.Second {
				t.Errorf("echo 10 dB down after %v, want within 2 s", r.convergence)
			}
		})
	}
	off := defaultScene.measure(t, apm.Config{HighPass: true})
	t.Logf("without the canceller: %v", off)
	if off.erle > 3 {
		t.Errorf("echo reduced by %.1f dB without a canceller: the rig measures something else", off.erle)
	}
}

// TestDoubleTalkKeepsTheNearEnd: while both talk over a 60 ms echo path,
// what the near end says comes out recognisably (r ≥ 0.8 against what was
// said) and not pushed down, with the canceller alone and with everything
// a call uses on. Another talker scores near nothing on the same measure.
func TestDoubleTalkKeepsTheNearEnd(t *testing.T) {
	sc := defaultScene
	for _, tc := range []struct {
		name    string
		cfg     apm.Config
		maxLoss float64 // dB; the gain control may raise the level
	}{
		{"canceller", apm.Config{EchoCancel: true, HighPass: true}, 6},
		{"everything", everything, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sc.measure(t, tc.cfg)
			t.Log(r)
			if r.nearCorr < 0.8 {
				t.Errorf("near end during double talk correlates %.2f with what was said, want at least 0.8", r.nearCorr)
			}
			if r.nearLoss > tc.maxLoss {
				t.Errorf("near end %.1f dB down during double talk, want at most %.0f", r.nearLoss, tc.maxLoss)
			}
		})
	}
	_, _, near, echo := sc.signals(t)
	if r, _ := correlation(near, echo, sc.talkFrom, sc.talkTo, maxProcessingDelay); r > 0.3 {
		t.Errorf("the far end's echo correlates %.2f with the near end: the measure does not tell talkers apart", r)
	}
}

func TestNoiseSuppressorCutsStationaryNoise(t *testing.T) {
	cut := noiseCut(t, defaultScene)
	t.Logf("noise cut by %.1f dB", cut)
	if cut < 10 {
		t.Fatalf("noise cut by %.1f dB, want at least 10", cut)
	}
}

// BenchmarkAudioProcessing prints the rig's figures for the canceller
// alone and with everything on (echo cancellation, noise suppression, gain
// control, high-pass), and the cost of a 10 ms frame at 48 kHz.
func BenchmarkAudioProcessing(b *testing.B) {
	for range b.N {
		for _, delay := range []time.Duration{30 * time.Millisecond, 60 * time.Millisecond, 120 * time.Millisecond} {
			sc := defaultScene
			sc.echoDelay = delay
			aec := sc.measure(b, apm.Config{EchoCancel: true, HighPass: true})
			all := sc.measure(b, everything)
			fmt.Printf("echo delay %v:\n  canceller alone: %v\n  everything on:   %v\n", delay, aec, all)
		}
		fmt.Printf("noise suppression: stationary noise cut by %.1f dB\n", noiseCut(b, defaultScene))
	}
}
