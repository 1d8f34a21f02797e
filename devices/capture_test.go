package devices

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/webrtc/v4"
)

func openSynthetic(t *testing.T, cfg CaptureConfig) *Capture {
	t.Helper()
	cfg.Synthetic = true
	cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := Open(testContext(t, 10*time.Second), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func newEncodedReader(t *testing.T, track mediadevices.Track, mime string) mediadevices.EncodedReadCloser {
	t.Helper()
	r, err := track.NewEncodedReader(mime)
	if err != nil {
		t.Fatalf("NewEncodedReader(%s): %v", mime, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// The synthetic camera through the Capture's VP8 encoder: frames decode at
// 640×480 with stamps in order, captured moments ago, at 30 fps.
func TestCaptureSyntheticVideo(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t, 20*time.Second)
	c := openSynthetic(t, CaptureConfig{Video: true})
	if c.AudioTrack() != nil || c.VideoTrack() == nil || len(c.Warnings()) != 0 {
		t.Fatalf("tracks video=%v audio=%v warnings=%v", c.VideoTrack(), c.AudioTrack(), c.Warnings())
	}
	enc := newEncodedReader(t, c.VideoTrack(), webrtc.MimeTypeVP8)
	dec, err := NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()

	var first, last time.Time
	var firstN, lastN uint32
	bytesTotal := 0
	const frames = 45
	for i := range frames {
		data := readEncoded(ctx, t, enc)
		bytesTotal += len(data)
		img, err := dec.Decode(data)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 480 {
			t.Fatalf("frame %d is %v", i, b)
		}
		n, ts, ok := ReadFrameStamp(img)
		if !ok {
			t.Fatalf("frame %d: no stamp", i)
		}
		if lat := time.Since(ts); lat < 0 || lat > 5*time.Second {
			t.Fatalf("frame %d: captured %v ago", i, lat)
		}
		if i == 0 {
			first, firstN = ts, n
		} else if n <= lastN || !ts.After(last) {
			t.Fatalf("frame %d: stamp %d at %v after %d at %v", i, n, ts, lastN, last)
		}
		last, lastN = ts, n
	}
	perFrame := last.Sub(first) / time.Duration(lastN-firstN)
	t.Logf("%d frames, %d..%d, %v per frame, %.0f kbit/s", frames, firstN, lastN, perFrame,
		float64(bytesTotal*8)/last.Sub(first).Seconds()/1000)
	// Paced in real time: never faster than 30 fps. (A loaded machine may
	// make it slower; speed is for benchmarks, not for assertions.)
	if perFrame < 32*time.Millisecond || perFrame > 200*time.Millisecond {
		t.Errorf("%v per frame, want ≈ 33 ms (30 fps)", perFrame)
	}
}

// Camera off sends black frames on the same track; camera on brings the
// stamped picture back on the same encoder, with no error in between.
func TestCaptureSetVideoEnabled(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t, 20*time.Second)
	c := openSynthetic(t, CaptureConfig{Video: true, Width: 320, Height: 240})
	enc := newEncodedReader(t, c.VideoTrack(), webrtc.MimeTypeVP8)
	dec, err := NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	next := func() (uint32, bool, float64) {
		t.Helper()
		img, err := dec.Decode(readEncoded(ctx, t, enc))
		if err != nil {
			t.Fatal(err)
		}
		n, _, ok := ReadFrameStamp(img)
		return n, ok, meanLuma(img)
	}

	var before uint32
	for range 5 {
		n, ok, _ := next()
		if !ok {
			t.Fatal("no stamp while enabled")
		}
		before = n
	}
	c.SetVideoEnabled(false)
	if c.VideoEnabled() {
		t.Fatal("VideoEnabled() = true after SetVideoEnabled(false)")
	}
	black := 0
	for range 15 {
		if _, ok, luma := next(); !ok && luma < lumaBlack+4 {
			black++
		} else if black > 0 {
			t.Fatalf("picture came back while disabled (stamp %v, luma %.1f)", ok, luma)
		}
	}
	if black < 12 {
		t.Fatalf("%d of 15 frames black after disabling, want ≥ 12", black)
	}
	c.SetVideoEnabled(true)
	for i := range 5 {
		n, ok, _ := next()
		if ok {
			if n <= before+uint32(black) {
				t.Errorf("stamp %d after re-enabling, want > %d (the source kept running)", n, before+uint32(black))
			}
			return
		}
		if i == 4 {
			t.Fatal("no stamped frame within 5 frames of re-enabling")
		}
	}
}

// The synthetic microphone through the Capture's Opus encoder and decoder:
// the tone arrives at its frequency; muted it is silence; unmuted it is back.
func TestCaptureToneAndMute(t *testing.T) {
	checkGoroutines(t)
	for _, freq := range []float64{440, 1000} {
		ctx := testContext(t, 20*time.Second)
		c := openSynthetic(t, CaptureConfig{Audio: true, ToneHz: freq})
		enc := newEncodedReader(t, c.AudioTrack(), webrtc.MimeTypeOpus)
		dec := newTestDecoder(t)
		pcm := make([]int16, dec.MaxSamples())
		collect := func(packets int) ToneReport { t.Helper(); return decodeTone(ctx, t, enc, dec, pcm, packets) }
		collect(3) // codec start-up
		if rep := collect(15); math.Abs(rep.Frequency-freq) > 5 || rep.RMS < 0.1 {
			t.Errorf("%g Hz tone received as %.2f Hz at RMS %.3f", freq, rep.Frequency, rep.RMS)
		}
		c.SetAudioEnabled(false)
		collect(3) // packets already in the encoder
		if rep := collect(10); rep.RMS > 0.003 {
			t.Errorf("muted: RMS %.4f (%.1f dBFS), want silence", rep.RMS, rep.DBFS())
		}
		c.SetAudioEnabled(true)
		collect(3)
		if rep := collect(10); math.Abs(rep.Frequency-freq) > 5 || rep.RMS < 0.1 {
			t.Errorf("unmuted: %.2f Hz at RMS %.3f", rep.Frequency, rep.RMS)
		}
	}
}

// The Capture's audio controls reach the encoder of a track in use: a
// lower bitrate makes smaller packets at once. Without audio they do nothing.
func TestCaptureAudioControls(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t, 20*time.Second)
	c := openSynthetic(t, CaptureConfig{Audio: true})
	enc := newEncodedReader(t, c.AudioTrack(), webrtc.MimeTypeOpus)
	size := func(packets int) float64 {
		t.Helper()
		total := 0
		for range packets {
			total += len(readEncoded(ctx, t, enc))
		}
		return float64(total) / float64(packets)
	}
	size(5) // codec start-up
	before := size(15)
	if err := c.SetAudioBitrate(12000); err != nil {
		t.Fatal(err)
	}
	if err := c.SetAudioPacketLoss(10); err != nil {
		t.Fatal(err)
	}
	size(5)
	after := size(15)
	t.Logf("mean packet %.1f bytes at %d bit/s, %.1f bytes at 12000 bit/s with 10%% loss expected", before, DefaultAudioBitrate, after)
	if after > 0.7*before {
		t.Errorf("packets %.1f bytes after lowering the bitrate, %.1f before", after, before)
	}
	if err := c.SetAudioBitrate(1000); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("1 kbit/s: %v, want ErrInvalidConfig", err)
	}
	if err := c.SetAudioPacketLoss(-1); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("-1%% loss: %v, want ErrInvalidConfig", err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if n := liveOpusEncoders(c); n != 0 {
		t.Errorf("%d Opus encoders still open after closing the only reader", n)
	}

	v := openSynthetic(t, CaptureConfig{Video: true})
	if err := v.SetAudioBitrate(24000); err != nil {
		t.Errorf("video-only SetAudioBitrate: %v", err)
	}
	if err := v.SetAudioPacketLoss(5); err != nil {
		t.Errorf("video-only SetAudioPacketLoss: %v", err)
	}
}

func TestCapturePreviewAndTrackIdentity(t *testing.T) {
	checkGoroutines(t)
	c := openSynthetic(t, CaptureConfig{Video: true, Audio: true})
	ts := c.Tracks()
	if len(ts) != 2 || ts[0].Kind() != webrtc.RTPCodecTypeVideo || ts[1].Kind() != webrtc.RTPCodecTypeAudio {
		t.Fatalf("tracks %v", ts)
	}
	if ts[0].ID() == ts[1].ID() {
		t.Errorf("video and audio share track ID %q", ts[0].ID())
	}
	if s := ts[0].StreamID(); s == "" || s != ts[1].StreamID() || s != ts[0].StreamID() {
		t.Errorf("stream IDs %q %q, want one stable ID", ts[0].StreamID(), ts[1].StreamID())
	}
	var _ webrtc.TrackLocal = ts[0]

	preview := c.NewVideoPreview()
	img, _, err := preview.Read()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := ReadFrameStamp(img); !ok {
		t.Error("preview frame carries no stamp")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := preview.Read(); err == nil {
		// The broadcaster may hand out one buffered frame; the next must fail.
		if _, _, err := preview.Read(); err == nil {
			t.Error("preview still reads after Close")
		}
	}
}

func TestOpenDegrades(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t, 20*time.Second)
	inv, err := List()
	if err != nil {
		t.Fatal(err)
	}
	type degradeCase struct {
		name      string
		cfg       CaptureConfig
		wantErr   []error // Open fails matching all of these
		wantVideo bool
		wantAudio bool
		warnings  []error // one warning matching each
	}
	tests := []degradeCase{
		{name: "missing camera only", cfg: CaptureConfig{CameraID: "no-such-camera", Video: true},
			wantErr: []error{ErrNoCamera}},
		{name: "missing camera, synthetic mic", cfg: CaptureConfig{CameraID: "no-such-camera", MicrophoneID: SyntheticMicrophoneID, Video: true, Audio: true},
			wantAudio: true, warnings: []error{ErrNoCamera}},
		{name: "synthetic camera, missing mic", cfg: CaptureConfig{CameraID: SyntheticCameraID, MicrophoneID: "no-such-mic", Video: true, Audio: true},
			wantVideo: true, warnings: []error{ErrNoMicrophone}},
		{name: "both missing", cfg: CaptureConfig{CameraID: "no-such-camera", MicrophoneID: "no-such-mic", Video: true, Audio: true},
			wantErr: []error{ErrNoCamera, ErrNoMicrophone}},
		{name: "nothing requested", cfg: CaptureConfig{Synthetic: true}, wantErr: []error{ErrNothingRequested}},
		{name: "bad size", cfg: CaptureConfig{Synthetic: true, Video: true, Width: 10000, Height: 10}, wantErr: []error{ErrInvalidConfig}},
		{name: "synthetic camera too small", cfg: CaptureConfig{Synthetic: true, Video: true, Width: 64, Height: 48}, wantErr: []error{ErrInvalidConfig}},
		{name: "synthetic tone too high", cfg: CaptureConfig{Synthetic: true, Audio: true, ToneHz: 30000}, wantErr: []error{ErrInvalidConfig}},
	}
	if len(inv.Cameras) == 0 {
		tests = append(tests, degradeCase{name: "headless default camera", cfg: CaptureConfig{Video: true}, wantErr: []error{ErrNoCamera}})
	}
	if len(inv.Microphones) == 0 {
		tests = append(tests, degradeCase{name: "headless default microphone", cfg: CaptureConfig{Audio: true}, wantErr: []error{ErrNoMicrophone}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(ctx, tt.cfg)
			if len(tt.wantErr) > 0 {
				if err == nil {
					c.Close()
					t.Fatal("Open succeeded")
				}
				for _, want := range tt.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("error %q does not match %v", err, want)
					}
				}
				if errors.Is(err, ErrNoCamera) {
					mustContain(t, err.Error(), "pick another camera in Settings")
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer c.Close()
			if (c.VideoTrack() != nil) != tt.wantVideo || (c.AudioTrack() != nil) != tt.wantAudio {
				t.Errorf("video=%v audio=%v, want %v %v", c.VideoTrack() != nil, c.AudioTrack() != nil, tt.wantVideo, tt.wantAudio)
			}
			ws := c.Warnings()
			if len(ws) != len(tt.warnings) {
				t.Fatalf("warnings %v, want %d", ws, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				var de *DeviceError
				if !errors.Is(ws[i], w) || !errors.As(ws[i], &de) {
					t.Errorf("warning %q, want a *DeviceError matching %v", ws[i], w)
				}
			}
		})
	}
}

// Open honours its context while a device is opening.
func TestOpenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err := Open(ctx, CaptureConfig{Synthetic: true, Video: true})
	// Synthetic sources open without waiting, so a cancelled context does
	// not matter to them; this pins that behaviour.
	if err != nil {
		t.Fatalf("synthetic Open with cancelled ctx: %v", err)
	}
	c.Close()
}
