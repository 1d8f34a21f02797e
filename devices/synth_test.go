package devices

import (
	"errors"
	"io"
	"math"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/wave"
)

func TestTestPatternPacesAndStamps(t *testing.T) {
	checkGoroutines(t)
	tp, err := NewTestPattern(320, 240, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	start := time.Now()
	const frames = 10
	for i := range frames {
		img, _, err := tp.Read()
		if err != nil {
			t.Fatal(err)
		}
		n, ts, ok := ReadFrameStamp(img)
		if !ok || n != uint32(i) {
			t.Fatalf("frame %d: stamp (%d, %v)", i, n, ok)
		}
		if ts.Before(start) || ts.After(time.Now()) {
			t.Fatalf("frame %d: stamp time %v outside [%v, now]", i, ts, start)
		}
	}
	// The first frame comes at once, then one per 1/30 s: never faster
	// (a loaded machine may be slower).
	if el, want := time.Since(start), (frames-1)*time.Second/30; el < want-5*time.Millisecond {
		t.Errorf("%d frames took %v, want at least %v", frames, el, want)
	}
}

func TestTestPatternMoves(t *testing.T) {
	tp, err := NewTestPattern(640, 480, 30)
	if err != nil {
		t.Fatal(err)
	}
	a, b := tp.render(0, time.Unix(0, 0)), tp.render(15, time.Unix(0, 0))
	top := StampHeight(640) * 640
	diff := 0
	for i := top; i < len(a.Y); i++ {
		if a.Y[i] != b.Y[i] {
			diff++
		}
	}
	if diff < 1000 {
		t.Errorf("frames 0 and 15 differ in %d luma pixels below the stamp, want a visibly moving picture", diff)
	}
}

func TestSyntheticSourcesCloseUnblocksRead(t *testing.T) {
	checkGoroutines(t)
	tp, err := NewTestPattern(640, 480, 1) // 1 fps: the second Read waits ~1 s
	if err != nil {
		t.Fatal(err)
	}
	tone, err := NewTone(440, 48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tp.Read(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { _, _, err := tp.Read(); done <- err }()
	go func() {
		for {
			if _, _, err := tone.Read(); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	tp.Close()
	tone.Close()
	tone.Close() // idempotent
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, io.EOF) {
				t.Errorf("Read after Close: %v, want io.EOF", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Read still blocked 10 s after Close")
		}
	}
}

func TestTonePacesAndIsExact(t *testing.T) {
	checkGoroutines(t)
	tone, err := NewTone(1000, 48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer tone.Close()
	start := time.Now()
	var pcm []int16
	for range 10 {
		chunk, _, err := tone.Read()
		if err != nil {
			t.Fatal(err)
		}
		info := chunk.ChunkInfo()
		if info.Len != 960 || info.Channels != 2 || info.SamplingRate != 48000 {
			t.Fatalf("chunk info %+v", info)
		}
		pcm = append(pcm, chunk.(*wave.Int16Interleaved).Data...)
	}
	// Paced: never faster than real time (a loaded machine may be slower).
	if el, want := time.Since(start), 9*toneChunk; el < want-5*time.Millisecond {
		t.Errorf("10 chunks took %v, want at least %v", el, want)
	}
	rep, err := AnalyzePCM(pcm, 48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(rep.Frequency-1000) > 0.5 {
		t.Errorf("frequency %.2f Hz, want 1000", rep.Frequency)
	}
	if want := ToneAmplitude / math.Sqrt2; math.Abs(rep.RMS-want) > 0.005 {
		t.Errorf("RMS %.4f, want %.4f", rep.RMS, want)
	}
}

func TestSyntheticSourceConfigErrors(t *testing.T) {
	for _, tc := range []struct{ w, h, fps int }{{0, 0, 30}, {127, 240, 30}, {320, 241, 30}, {8192, 480, 30}, {640, 480, 0}, {640, 480, 500}, {640, 2, 30}} {
		if _, err := NewTestPattern(tc.w, tc.h, tc.fps); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewTestPattern(%d, %d, %d) = %v, want ErrInvalidConfig", tc.w, tc.h, tc.fps, err)
		}
	}
	for _, tc := range []struct {
		f    float64
		r, c int
	}{{0, 48000, 1}, {30000, 48000, 1}, {440, 1000, 1}, {440, 48000, 3}, {math.NaN(), 48000, 1}} {
		if _, err := NewTone(tc.f, tc.r, tc.c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewTone(%v, %d, %d) = %v, want ErrInvalidConfig", tc.f, tc.r, tc.c, err)
		}
	}
}
