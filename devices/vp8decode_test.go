package devices

import (
	"errors"
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// Frames encoded with the Capture's VP8 tuning decode back at full size with
// every stamp readable, in order, at call bitrates.
func TestVP8RoundTripKeepsStamps(t *testing.T) {
	checkGoroutines(t)
	for _, bitrate := range []int{1_000_000, 300_000} {
		frames, stamped := encodeVP8(t, 45, 640, 480, bitrate)
		dec, err := NewVP8Decoder()
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for i, f := range frames {
			total += len(f)
			img, err := dec.Decode(f)
			if err != nil {
				t.Fatalf("%d bps frame %d (%d bytes): %v", bitrate, i, len(f), err)
			}
			if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 480 {
				t.Fatalf("frame %d decoded as %v", i, b)
			}
			n, ts, ok := ReadFrameStamp(img)
			if !ok || n != uint32(i) || !ts.Equal(stamped[i]) {
				t.Fatalf("%d bps frame %d: stamp (%d, %v, %v), want (%d, %v)", bitrate, i, n, ts, ok, i, stamped[i])
			}
		}
		t.Logf("%d bps target: key frame %d B, mean %d B/frame", bitrate, len(frames[0]), total/len(frames))
		if err := dec.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVP8DecoderRejectsBadInput(t *testing.T) {
	frames, _ := encodeVP8(t, 3, 320, 240, 500_000)
	dec, err := NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()

	if _, err := dec.Decode(nil); !errors.Is(err, ErrEmptyFrame) {
		t.Errorf("empty: %v", err)
	}
	if _, err := dec.Decode(frames[1]); !errors.Is(err, ErrDecode) {
		t.Errorf("inter frame before key frame: %v, want ErrDecode", err)
	}
	huge := append([]byte(nil), frames[0]...)
	huge[6], huge[7], huge[8], huge[9] = 0xff, 0x3f, 0xff, 0x3f // 16383×16383
	if _, err := dec.Decode(huge); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("16383x16383 key frame: %v, want ErrFrameTooLarge", err)
	}
	if _, err := dec.Decode(make([]byte, MaxVP8FrameBytes+1)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("oversized frame: %v, want ErrFrameTooLarge", err)
	}
	bad := append([]byte(nil), frames[0]...)
	bad[3] = 0 // broken start code
	if _, err := dec.Decode(bad); !errors.Is(err, ErrDecode) {
		t.Errorf("bad start code: %v, want ErrDecode", err)
	}
	// Recovery: a key frame decodes, then the stream continues.
	for i, f := range frames {
		if _, err := dec.Decode(f); err != nil {
			t.Fatalf("frame %d after errors: %v", i, err)
		}
	}
	// A truncated key frame is a decode error and the next inter frame is
	// held back until a key frame arrives.
	if _, err := dec.Decode(frames[0][:len(frames[0])/3]); err == nil {
		t.Log("libvpx accepted a truncated key frame") // libvpx may conceal; not contractual
	} else if _, err := dec.Decode(frames[1]); !errors.Is(err, ErrDecode) {
		t.Errorf("inter frame after a failed key frame: %v, want ErrDecode", err)
	}
	if err := dec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dec.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := dec.Decode(frames[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

func TestVP8DecoderRandomBytes(t *testing.T) {
	frames, _ := encodeVP8(t, 2, 320, 240, 500_000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		data := make([]byte, 1+r.IntN(4000))
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		if i%2 == 0 && len(data) >= 10 {
			copy(data, frames[0][:10]) // plausible key frame header, garbage body
		}
		decodeNoCrash(t, frames[0], data)
	}
}

// FuzzVP8Decoder: received video is network input; the decoder must return
// errors, never crash, for any bytes — alone or after a valid key frame.
func FuzzVP8Decoder(f *testing.F) {
	frames, _ := encodeVP8(f, 3, 320, 240, 500_000)
	for _, fr := range frames {
		f.Add(fr)
	}
	f.Add([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00})
	f.Add([]byte{0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeNoCrash(t, frames[0], data)
	})
}

func decodeNoCrash(t *testing.T, key, data []byte) {
	t.Helper()
	for _, prime := range []bool{false, true} {
		dec, err := NewVP8Decoder()
		if err != nil {
			t.Fatal(err)
		}
		if prime {
			if _, err := dec.Decode(key); err != nil {
				t.Fatal(err)
			}
		}
		img, err := dec.Decode(data)
		if err == nil && (img == nil || img.Bounds().Dx()*img.Bounds().Dy() > MaxVP8Pixels) {
			t.Fatalf("decode returned %v without error", img)
		}
		dec.Close()
	}
}

func BenchmarkVP8Encode640x480(b *testing.B) {
	tp, _ := NewTestPattern(640, 480, 30)
	imgs := make([]image.Image, 30)
	for i := range imgs {
		imgs[i] = tp.render(uint32(i), time.Now())
	}
	params, err := newVP8Params(DefaultVideoBitrate, 30)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	src := video.ReaderFunc(func() (image.Image, func(), error) {
		img := imgs[i%len(imgs)]
		i++
		return img, func() {}, nil
	})
	enc, err := params.BuildVideoEncoder(src, prop.Media{Video: prop.Video{Width: 640, Height: 480, FrameRate: 30}})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	total := 0
	for b.Loop() {
		f, release, err := enc.Read()
		if err != nil {
			b.Fatal(err)
		}
		total += len(f)
		release()
	}
	b.ReportMetric(float64(total)/float64(b.N), "B/frame")
}

func BenchmarkVP8Decode640x480(b *testing.B) {
	frames, _ := encodeVP8(b, 30, 640, 480, DefaultVideoBitrate)
	dec, err := NewVP8Decoder()
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	i := 0
	for b.Loop() {
		if _, err := dec.Decode(frames[i%len(frames)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
