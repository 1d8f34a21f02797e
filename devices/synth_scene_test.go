package devices

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// clip is a stretch of encoded video.
type clip struct {
	frames  [][]byte
	stamped []time.Time
}

// kbps is the bitrate of frames [from, len) at 30 fps.
func (c clip) kbps(from int) float64 {
	total := 0
	for _, f := range c.frames[from:] {
		total += len(f)
	}
	return float64(total*8) / (float64(len(c.frames)-from) / 30) / 1000
}

// encodeClip encodes n frames of render at 30 fps with Duet's VP8 encoder
// at bitrate; frame i is stamped with i and shown at i/30 s. Timestamps
// are the clip's own, so the encoder runs as fast as it can and sees a
// real 30 fps camera.
func encodeClip(t testing.TB, render func(uint32, time.Time) *image.YCbCr, n, w, h, bitrate int) clip {
	t.Helper()
	enc, err := newVP8Encoder(w, h, bitrate, 300)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.close()
	var c clip
	base := time.Now()
	const interval = time.Second / 30
	for i := range n {
		at := base.Add(time.Duration(i) * interval)
		img := render(uint32(i), at)
		c.stamped = append(c.stamped, at)
		f, _, err := enc.encode(img, time.Duration(i)*interval, interval, false)
		if err != nil {
			t.Fatal(err)
		}
		c.frames = append(c.frames, f)
	}
	return c
}

// checkStamps decodes c and checks that every frame carries its stamp.
func checkStamps(t *testing.T, c clip, w, h int) {
	t.Helper()
	dec, err := NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for i, f := range c.frames {
		img, err := dec.Decode(f)
		if err != nil {
			t.Fatalf("frame %d (%d bytes): %v", i, len(f), err)
		}
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Fatalf("frame %d decoded as %v", i, b)
		}
		n, ts, ok := ReadFrameStamp(img)
		if !ok || n != uint32(i) || !ts.Equal(c.stamped[i]) {
			t.Fatalf("frame %d: stamp (%d, %v, %v), want (%d, %v)", i, n, ts, ok, i, c.stamped[i])
		}
	}
}

// Unlimited, VP8 spends on the scene what it spends on a webcam, and many
// times what the flat test pattern costs; every frame's stamp survives.
func TestSceneLoadsVP8LikeAWebcam(t *testing.T) {
	checkGoroutines(t)
	const w, h, frames, from = 640, 480, 45, 10 // from: after the start-up ramp
	sc, err := NewScene(w, h, 30)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := NewTestPattern(w, h, 30)
	if err != nil {
		t.Fatal(err)
	}
	scene := encodeClip(t, sc.render, frames, w, h, 5_000_000)
	bars := encodeClip(t, tp.render, frames, w, h, 5_000_000)
	sk, bk := scene.kbps(from), bars.kbps(from)
	t.Logf("5 Mbit/s target, %dx%d@30: scene %.0f kbit/s, test pattern %.0f kbit/s", w, h, sk, bk)
	if sk < 1500 {
		t.Errorf("scene needs %.0f kbit/s, want ≥ 1500 like a webcam", sk)
	}
	if bk > sk/4 {
		t.Errorf("test pattern needs %.0f kbit/s, want far below the scene's %.0f", bk, sk)
	}
	checkStamps(t, scene, w, h)
}

// Squeezed into a low bitrate, the scene's stamps still read back.
func TestSceneStampsSurviveLowBitrate(t *testing.T) {
	checkGoroutines(t)
	const w, h = 320, 240
	sc, err := NewScene(w, h, 30)
	if err != nil {
		t.Fatal(err)
	}
	c := encodeClip(t, sc.render, 45, w, h, 250_000)
	t.Logf("250 kbit/s target, %dx%d@30: %.0f kbit/s", w, h, c.kbps(15))
	checkStamps(t, c, w, h)
}

func TestScenePacesAndStamps(t *testing.T) {
	checkGoroutines(t)
	sc, err := NewScene(320, 240, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	start := time.Now()
	const frames = 10
	var prev image.Image
	for i := range frames {
		img, _, err := sc.Read()
		if err != nil {
			t.Fatal(err)
		}
		if img == prev {
			t.Fatal("Read returned the same image twice")
		}
		prev = img
		n, ts, ok := ReadFrameStamp(img)
		if !ok || n != uint32(i) {
			t.Fatalf("frame %d: stamp (%d, %v)", i, n, ok)
		}
		if ts.Before(start) || ts.After(time.Now()) {
			t.Fatalf("frame %d: stamp time %v outside [%v, now]", i, ts, start)
		}
	}
	if el, want := time.Since(start), (frames-1)*time.Second/30; el < want-5*time.Millisecond {
		t.Errorf("%d frames took %v, want at least %v", frames, el, want)
	}
}

func TestSceneCloseUnblocksRead(t *testing.T) {
	checkGoroutines(t)
	sc, err := NewScene(320, 240, 1) // 1 fps: the second Read waits ~1 s
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sc.Read(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := sc.Read(); done <- err }()
	time.Sleep(50 * time.Millisecond)
	sc.Close()
	sc.Close() // idempotent
	select {
	case err := <-done:
		if !errors.Is(err, io.EOF) {
			t.Errorf("Read after Close: %v, want io.EOF", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read still blocked 10 s after Close")
	}
}

// Every size the test pattern takes works: the picture moves and is noisy
// below the stamp band, the band is flat apart from the stamp, and a frame
// rendered twice is the same.
func TestSceneSizes(t *testing.T) {
	for _, sz := range [][2]int{{128, 8}, {320, 240}, {480, 360}, {640, 480}, {1280, 720}} {
		w, h := sz[0], sz[1]
		sc, err := NewScene(w, h, 30)
		if err != nil {
			t.Fatalf("%dx%d: %v", w, h, err)
		}
		when := time.Unix(1_700_000_000, 0)
		a, b, a2 := sc.render(40, when), sc.render(41, when), sc.render(40, when)
		if a.Rect.Dx() != w || a.Rect.Dy() != h {
			t.Fatalf("%dx%d: frame is %v", w, h, a.Rect)
		}
		if !bytes.Equal(a.Y, a2.Y) || !bytes.Equal(a.Cb, a2.Cb) || !bytes.Equal(a.Cr, a2.Cr) {
			t.Errorf("%dx%d: frame 40 rendered twice differs", w, h)
		}
		if n, ts, ok := ReadFrameStamp(a); !ok || n != 40 || !ts.Equal(when) {
			t.Errorf("%dx%d: stamp (%d, %v, %v)", w, h, n, ts, ok)
		}
		guard := stampGuard(w, h)
		for y := StampHeight(w); y < guard; y++ {
			for x := range w {
				if v := a.Y[a.YOffset(x, y)]; v != 40 {
					t.Fatalf("%dx%d: band pixel (%d, %d) = %d, want flat 40", w, h, x, y, v)
				}
			}
		}
		diff := 0
		for i := guard * a.YStride; i < len(a.Y); i++ {
			if a.Y[i] != b.Y[i] {
				diff++
			}
		}
		if below := (h - guard) * w; diff < below/8 {
			t.Errorf("%dx%d: frames 40 and 41 differ in %d of %d pixels below the band, want a moving, noisy picture",
				w, h, diff, below)
		}
	}
}

func TestSceneConfigErrors(t *testing.T) {
	for _, tc := range []struct{ w, h, fps int }{{0, 0, 30}, {127, 240, 30}, {320, 241, 30}, {8192, 480, 30}, {640, 480, 0}, {640, 480, 500}, {640, 2, 30}} {
		if _, err := NewScene(tc.w, tc.h, tc.fps); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewScene(%d, %d, %d) = %v, want ErrInvalidConfig", tc.w, tc.h, tc.fps, err)
		}
	}
}

func BenchmarkSyntheticSceneRender640x480(b *testing.B) {
	sc, err := NewScene(640, 480, 30)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	n := uint32(0)
	for b.Loop() {
		sc.render(n, now)
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}

// BenchmarkSyntheticSceneVP8 prints the bitrate VP8 needs for each
// synthetic camera when the target (5 Mbit/s) does not limit it, over four
// seconds after the encoder's first half second. Each iteration encodes a
// whole clip.
func BenchmarkSyntheticSceneVP8(b *testing.B) {
	for _, sz := range [][2]int{{640, 480}, {320, 240}} {
		w, h := sz[0], sz[1]
		sc, err := NewScene(w, h, 30)
		if err != nil {
			b.Fatal(err)
		}
		tp, err := NewTestPattern(w, h, 30)
		if err != nil {
			b.Fatal(err)
		}
		for _, src := range []struct {
			name   string
			render func(uint32, time.Time) *image.YCbCr
		}{{"scene", sc.render}, {"bars", tp.render}} {
			b.Run(fmt.Sprintf("%s-%dx%d", src.name, w, h), func(b *testing.B) {
				var kbps float64
				for b.Loop() {
					kbps = encodeClip(b, src.render, 135, w, h, 5_000_000).kbps(15)
				}
				b.ReportMetric(kbps, "kbit/s")
			})
		}
	}
}

// The scene opens by its camera ID at the size asked for, through the
// Capture's encoder.
func TestOpenSyntheticScene(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t, 20*time.Second)
	c, err := Open(ctx, CaptureConfig{CameraID: SyntheticSceneCameraID, Video: true, Width: 320, Height: 240})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	enc := newEncodedReader(t, c.VideoTrack(), webrtc.MimeTypeVP8)
	dec, err := NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for i := range 5 {
		img, err := dec.Decode(readEncoded(ctx, t, enc))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
			t.Fatalf("frame %d is %v", i, b)
		}
		if _, _, ok := ReadFrameStamp(img); !ok {
			t.Fatalf("frame %d: no stamp", i)
		}
	}
}

func TestSyntheticCameras(t *testing.T) {
	cams := SyntheticCameras()
	if len(cams) != 2 || cams[0].ID != SyntheticSceneCameraID || cams[1].ID != SyntheticCameraID {
		t.Fatalf("synthetic cameras %+v", cams)
	}
	for _, d := range cams {
		if d.Kind != KindCamera || !strings.HasPrefix(d.Label, "Synthetic ") || d.Default {
			t.Errorf("%+v", d)
		}
	}
}
