package devices

import (
	"image"
	"image/draw"
	"testing"
	"time"
)

func TestFrameStampRoundTrip(t *testing.T) {
	when := time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.UTC)
	for _, size := range []image.Point{{640, 480}, {1280, 720}, {320, 240}, {MinStampWidth, 8}, {641, 481}, {1920, 1080}} {
		img := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), image.YCbCrSubsampleRatio420)
		for i := range img.Y {
			img.Y[i] = uint8(i * 7)
		}
		WriteFrameStamp(img, 123456789, when)
		n, ts, ok := ReadFrameStamp(img)
		if !ok || n != 123456789 || !ts.Equal(when) {
			t.Errorf("%v: got (%d, %v, %v), want (123456789, %v, true)", size, n, ts, ok, when)
		}
	}
}

func TestFrameStampSubImageAndRGBA(t *testing.T) {
	when := time.Unix(1700000000, 42)
	big := image.NewYCbCr(image.Rect(0, 0, 800, 600), image.YCbCrSubsampleRatio420)
	sub := big.SubImage(image.Rect(100, 50, 740, 530)).(*image.YCbCr)
	WriteFrameStamp(sub, 7, when)
	if n, ts, ok := ReadFrameStamp(sub); !ok || n != 7 || !ts.Equal(when) {
		t.Fatalf("sub-image: got (%d, %v, %v)", n, ts, ok)
	}
	rgba := image.NewRGBA(sub.Bounds())
	draw.Draw(rgba, rgba.Bounds(), sub, sub.Bounds().Min, draw.Src)
	if n, ts, ok := ReadFrameStamp(rgba); !ok || n != 7 || !ts.Equal(when) {
		t.Fatalf("RGBA: got (%d, %v, %v)", n, ts, ok)
	}
}

func TestFrameStampSurvivesDownscale(t *testing.T) {
	tp, err := NewTestPattern(1280, 720, 30)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Unix(1700000000, 123)
	src := tp.render(99, when)
	dst := image.NewYCbCr(image.Rect(0, 0, 640, 360), image.YCbCrSubsampleRatio420)
	for y := range 360 {
		for x := range 640 {
			dst.Y[dst.YOffset(x, y)] = src.Y[src.YOffset(2*x, 2*y)]
		}
	}
	if n, ts, ok := ReadFrameStamp(dst); !ok || n != 99 || !ts.Equal(when) {
		t.Fatalf("downscaled: got (%d, %v, %v)", n, ts, ok)
	}
}

func TestFrameStampRejects(t *testing.T) {
	tests := []struct {
		name string
		img  image.Image
	}{
		{"nil", nil},
		{"black", blackFrame(image.Rect(0, 0, 640, 480))},
		{"too narrow", image.NewYCbCr(image.Rect(0, 0, MinStampWidth-1, 480), image.YCbCrSubsampleRatio420)},
		{"too short", image.NewGray(image.Rect(0, 0, 640, 10))},
		{"empty", &image.YCbCr{}},
		{"short plane", &image.YCbCr{Rect: image.Rect(0, 0, 640, 480), YStride: 640, Y: make([]byte, 100)}},
		{"bars", renderBars(640, 480)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "short plane" {
				// A malformed YCbCr falls back to At(), which may panic on
				// its own; only the well-formed cases are contractual.
				defer func() { _ = recover() }()
			}
			if _, _, ok := ReadFrameStamp(tt.img); ok {
				t.Error("ok = true, want false")
			}
		})
	}
}

// A corrupted bit must be caught by the CRC.
func TestFrameStampCRC(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	WriteFrameStamp(img, 1, time.Unix(1, 0))
	cell := stampCellSize(640)
	for y := range cell {
		off := img.YOffset(0, y)
		for x := range cell {
			img.Y[off+x] ^= 0xff
		}
	}
	if _, _, ok := ReadFrameStamp(img); ok {
		t.Fatal("flipped bit accepted")
	}
}

// FuzzReadFrameStamp feeds arbitrary pixels (a received frame is network
// input) and checks ReadFrameStamp never panics, and that a stamp written
// over any background reads back exactly.
func FuzzReadFrameStamp(f *testing.F) {
	f.Add([]byte{0, 255, 16, 235}, uint16(640), uint16(480), uint32(1), int64(1700000000123456789))
	f.Add([]byte{}, uint16(128), uint16(4), uint32(0), int64(0))
	f.Add([]byte{1, 2, 3}, uint16(1), uint16(1), uint32(1<<31), int64(-1))
	tp, _ := NewTestPattern(320, 240, 30)
	seed := tp.render(5, time.Unix(0, 77))
	f.Add(append(append([]byte(nil), seed.Y...)[:4096], 0), uint16(320), uint16(240), uint32(5), int64(77))
	f.Fuzz(func(t *testing.T, data []byte, w, h uint16, frame uint32, nanos int64) {
		width, height := int(w%1400)+1, int(h%900)+1
		img := image.NewYCbCr(image.Rect(0, 0, width, height), image.YCbCrSubsampleRatio420)
		if len(data) > 0 {
			for i := range img.Y {
				img.Y[i] = data[i%len(data)]
			}
		}
		ReadFrameStamp(img) // must not panic

		when := time.Unix(0, nanos)
		WriteFrameStamp(img, frame, when)
		n, ts, ok := ReadFrameStamp(img)
		fits := width >= MinStampWidth && height >= StampHeight(width)
		if ok != fits {
			t.Fatalf("%dx%d: ok = %v, want %v", width, height, ok, fits)
		}
		if ok && (n != frame || !ts.Equal(when)) {
			t.Fatalf("%dx%d: read (%d, %v), wrote (%d, %v)", width, height, n, ts, frame, when)
		}
	})
}

func BenchmarkReadFrameStamp640x480(b *testing.B) {
	tp, _ := NewTestPattern(640, 480, 30)
	img := tp.render(1, time.Now())
	for b.Loop() {
		if _, _, ok := ReadFrameStamp(img); !ok {
			b.Fatal("no stamp")
		}
	}
}

func BenchmarkRenderTestPattern640x480(b *testing.B) {
	tp, _ := NewTestPattern(640, 480, 30)
	now := time.Now()
	n := uint32(0)
	for b.Loop() {
		tp.render(n, now)
		n++
	}
}
