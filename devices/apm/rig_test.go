package apm_test

import (
	"fmt"
	"testing"
	"time"

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

// result is what the rig measures.
type result struct {
	erle        float64       // dB, echo-only steady state (from 8 s until the double talk)
	convergence time.Duration // until the echo stays 10 dB down (300 ms windows)
	nearCorr    float64       // output against the clean near end, during double talk
	nearLoss    float64       // dB, the near end's power lost during double talk
	noiseCut    float64       // dB, noise removed where nobody talks
	perFrame    time.Duration // mean Render + Capture time
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
// microphone's of the same moment, as the call's audio loop does.
func run(t testing.TB, p *apm.Processor, far, mic []int16, delayHint time.Duration) ([]float64, time.Duration) {
	t.Helper()
	n := p.FrameSamples()
	out := make([]int16, len(mic))
	copy(out, mic)
	var spent time.Duration
	frames := 0
	for i := 0; i+n <= len(out); i += n {
		start := time.Now()
		if err := p.Render(far[i : i+n]); err != nil {
			t.Fatal(err)
		}
		if err := p.Capture(out[i:i+n], delayHint); err != nil {
			t.Fatal(err)
		}
		spent += time.Since(start)
		frames++
	}
	return toFloat(out), spent / time.Duration(frames)
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
	r.nearCorr = correlation(near, out, sc.talkFrom, sc.talkTo, rate/200)
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
	return fmt.Sprintf("ERLE %.1f dB, converged in %v, near end during double talk r=%.2f (%.1f dB lost), %v a frame",
		r.erle, r.convergence, r.nearCorr, r.nearLoss, r.perFrame.Round(time.Microsecond))
}

// TestEchoCancellerRemovesTheEcho: with the far end's played audio as its
// reference, the canceller takes the echo well down within seconds, lets
// the near end through while both talk, and a processor without it does
// neither (the rig measures what it claims).
func TestEchoCancellerRemovesTheEcho(t *testing.T) {
	for _, tc := range []struct{ delay, hint time.Duration }{
		{30 * time.Millisecond, 0},
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
			if r.erle < 15 {
				t.Errorf("echo reduced by %.1f dB in steady state, want at least 15", r.erle)
			}
			if r.convergence < 0 || r.convergence > 8*time.Second {
				t.Errorf("echo 10 dB down after %v, want within 8 s", r.convergence)
			}
			if r.nearCorr < 0.5 {
				t.Errorf("near end during double talk correlates %.2f with what was said, want at least 0.5", r.nearCorr)
			}
		})
	}
	off := defaultScene.measure(t, apm.Config{HighPass: true})
	t.Logf("without the canceller: %v", off)
	if off.erle > 3 {
		t.Errorf("echo reduced by %.1f dB without a canceller: the rig measures something else", off.erle)
	}
}

func TestNoiseSuppressorCutsStationaryNoise(t *testing.T) {
	cut := noiseCut(t, defaultScene)
	t.Logf("noise cut by %.1f dB", cut)
	if cut < 10 {
		t.Fatalf("noise cut by %.1f dB, want at least 10", cut)
	}
}

// BenchmarkAudioProcessing prints the rig's figures with everything on
// (echo cancellation, noise suppression, gain control, high-pass) and the
// cost of a 10 ms frame at 48 kHz.
func BenchmarkAudioProcessing(b *testing.B) {
	for range b.N {
		for _, delay := range []time.Duration{30 * time.Millisecond, 60 * time.Millisecond, 120 * time.Millisecond} {
			sc := defaultScene
			sc.echoDelay = delay
			aec := sc.measure(b, apm.Config{EchoCancel: true, HighPass: true})
			all := sc.measure(b, apm.Config{EchoCancel: true, NoiseSuppress: true, GainControl: true, HighPass: true})
			fmt.Printf("echo delay %v: canceller alone: %v; everything on: %v a frame\n", delay, aec, all.perFrame.Round(time.Microsecond))
		}
		fmt.Printf("noise suppression: stationary noise cut by %.1f dB\n", noiseCut(b, defaultScene))
	}
}
