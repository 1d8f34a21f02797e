package devices

import (
	"errors"
	"image"
	"testing"
	"time"
)

// sceneClipKbps encodes seconds of the 640x480 scene at target and
// returns the bitrate of the last half: what rate control settles at.
func sceneClipKbps(t *testing.T, enc *vp8Encoder, sc *Scene, from, frames int, change func(i int)) float64 {
	t.Helper()
	const interval = time.Second / 30
	total := 0
	for i := from; i < from+frames; i++ {
		if change != nil {
			change(i)
		}
		f, _, err := enc.encode(sc.render(uint32(i), time.Unix(0, 0)), time.Duration(i)*interval, interval, false)
		if err != nil {
			t.Fatal(err)
		}
		if i >= from+frames/2 {
			total += len(f)
		}
	}
	return float64(total*8) / (float64(frames/2) / 30) / 1000
}

// The encoder holds the bitrate it is given on a detailed picture, also
// when the target changes mid-stream: what congestion control relies on.
func TestVP8EncoderHoldsItsBitrate(t *testing.T) {
	sc, err := NewScene(640, 480, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	for _, kbps := range []int{150, 400, 1200} {
		enc, err := newVP8Encoder(640, 480, kbps*1000, 300)
		if err != nil {
			t.Fatal(err)
		}
		got := sceneClipKbps(t, enc, sc, 0, 120, nil)
		enc.close()
		t.Logf("target %d kbit/s: %.0f kbit/s", kbps, got)
		if got > 1.25*float64(kbps) || got < 0.6*float64(kbps) {
			t.Errorf("target %d kbit/s: encoded %.0f kbit/s", kbps, got)
		}
	}
	enc, err := newVP8Encoder(640, 480, 1_200_000, 300)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.close()
	got := sceneClipKbps(t, enc, sc, 0, 120, func(i int) {
		if i == 30 {
			if err := enc.setBitRate(300_000); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Logf("1200 then 300 kbit/s: %.0f kbit/s", got)
	if got > 1.25*300 {
		t.Errorf("after lowering the target to 300 kbit/s: %.0f kbit/s", got)
	}
}

// A key frame comes when asked for, bounded in size; the frames decode.
func TestVP8EncoderKeyFrames(t *testing.T) {
	sc, err := NewScene(320, 240, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	enc, err := newVP8Encoder(320, 240, 300_000, 300)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.close()
	dec, err := NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	const interval = time.Second / 30
	for i := range 40 {
		f, key, err := enc.encode(sc.render(uint32(i), time.Unix(0, 0)), time.Duration(i)*interval, interval, i == 20)
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 0 || i == 20; key != want {
			t.Errorf("frame %d: key %v, want %v", i, key, want)
		}
		if key && len(f)*8 > 10*300_000/30 {
			t.Errorf("key frame %d: %d bytes, more than ten frames' worth", i, len(f))
		}
		if _, err := dec.Decode(f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
}

func TestVP8EncoderErrors(t *testing.T) {
	if _, err := newVP8Encoder(15, 240, 300_000, 300); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("15 pixels wide: %v", err)
	}
	enc, err := newVP8Encoder(320, 240, 300_000, 300)
	if err != nil {
		t.Fatal(err)
	}
	wrong := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	if _, _, err := enc.encode(wrong, 0, time.Millisecond, false); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("a picture of another size: %v", err)
	}
	enc.close()
	enc.close()
	ok := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
	if _, _, err := enc.encode(ok, 0, time.Millisecond, false); !errors.Is(err, ErrClosed) {
		t.Errorf("encode after close: %v", err)
	}
	if err := enc.setBitRate(1000); !errors.Is(err, ErrClosed) {
		t.Errorf("set bitrate after close: %v", err)
	}
}
