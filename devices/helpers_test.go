package devices

import (
	"context"
	"image"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// checkGoroutines fails the test if, after the test and its other cleanups,
// more goroutines run than before it started. Call it first in a test.
func checkGoroutines(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before, %d after:\n%s", before, n, buf)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// testContext returns a context that ends before the test's own deadline.
func testContext(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// readEncoded reads one encoded buffer, failing the test if ctx ends first.
func readEncoded(ctx context.Context, t testing.TB, r mediadevices.EncodedReadCloser) []byte {
	t.Helper()
	type res struct {
		data []byte
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		buf, release, err := r.Read()
		var data []byte
		if err == nil {
			data = append([]byte(nil), buf.Data...)
			release()
		}
		ch <- res{data, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("read encoded: %v", r.err)
		}
		return r.data
	case <-ctx.Done():
		t.Fatalf("read encoded: %v", ctx.Err())
		return nil
	}
}

// encodeVP8 encodes n test-pattern frames as fast as possible, with the
// same encoder tuning a Capture uses. Frame i is stamped with i.
func encodeVP8(t testing.TB, n, w, h, bitrate int) (frames [][]byte, stamped []time.Time) {
	t.Helper()
	tp, err := NewTestPattern(w, h, 30)
	if err != nil {
		t.Fatal(err)
	}
	params, err := newVP8Params(bitrate, 30)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	src := video.ReaderFunc(func() (image.Image, func(), error) {
		now := time.Now()
		stamped = append(stamped, now)
		img := tp.render(uint32(i), now)
		i++
		return img, func() {}, nil
	})
	enc, err := params.BuildVideoEncoder(src, prop.Media{Video: prop.Video{Width: w, Height: h, FrameRate: 30}})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	for range n {
		b, release, err := enc.Read()
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, append([]byte(nil), b...))
		release()
	}
	return frames, stamped
}

// encodeOpus encodes n 20 ms packets of a mono freq-Hz tone with the
// encoder a Capture uses (48 kHz, DefaultAudioBitrate), unpaced.
func encodeOpus(t testing.TB, n int, freq float64) [][]byte {
	t.Helper()
	tone, err := NewTone(freq, 48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	enc := newTestEncoder(t, DefaultAudioBitrate)
	out := make([]byte, MaxOpusPacketBytes)
	var pkts [][]byte
	for range n {
		m, err := enc.Encode(tone.next().Data, out)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, append([]byte(nil), out[:m]...))
	}
	return pkts
}

// newTestEncoder returns a 48 kHz mono encoder closed when the test ends.
func newTestEncoder(t testing.TB, bitrate int) *OpusEncoder {
	t.Helper()
	enc, err := NewOpusEncoder(48000, 1, bitrate)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = enc.Close() })
	return enc
}

// newTestDecoder returns a 48 kHz mono decoder closed when the test ends.
func newTestDecoder(t testing.TB) *OpusDecoder {
	t.Helper()
	dec, err := NewOpusDecoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dec.Close() })
	return dec
}

// meanLuma averages the luma plane.
func meanLuma(img *image.YCbCr) float64 {
	var sum int
	r := img.Rect
	for y := r.Min.Y; y < r.Max.Y; y++ {
		off := img.YOffset(r.Min.X, y)
		for _, v := range img.Y[off : off+r.Dx()] {
			sum += int(v)
		}
	}
	return float64(sum) / float64(r.Dx()*r.Dy())
}

func mustContain(t testing.TB, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%q does not contain %q", s, sub)
	}
}

// decodeTone decodes the next packets of an Opus reader and analyses them.
func decodeTone(ctx context.Context, t testing.TB, r mediadevices.EncodedReadCloser, dec *OpusDecoder, pcm []int16, packets int) ToneReport {
	t.Helper()
	var all []int16
	for range packets {
		n, err := dec.Decode(readEncoded(ctx, t, r), pcm)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, pcm[:n]...)
	}
	rep, err := AnalyzePCM(all, 48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
