package devices

import (
	"errors"
	"image"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// meanLumaBelow averages the luma under the stamp band.
func meanLumaBelow(img *image.YCbCr) float64 {
	top := StampHeight(img.Rect.Dx())
	return meanLuma(img.SubImage(image.Rect(0, top, img.Rect.Dx(), img.Rect.Dy())).(*image.YCbCr))
}

// The files stand in for camera and microphone through Open: frames at the
// file's size and rate, in the file's order, looping, stamped; the tone at
// its frequency, converted to 48 kHz mono.
func TestOpenMediaFiles(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t, 30*time.Second)
	dir := t.TempDir()
	const w, h, fileFrames = 320, 240, 10
	video := filepath.Join(dir, "in.y4m")
	writeY4M(t, video, w, h, fileFrames, "F25:1 Ip A1:1 C420jpeg")
	// 1 s of 440 Hz is 440 whole periods: the loop is seamless.
	audio := writeFile(t, filepath.Join(dir, "in.wav"), toneWAV(440, 16000, 2, 1))

	// The files win over the camera, the size and the synthetic sources.
	c, err := Open(ctx, CaptureConfig{VideoFile: video, AudioFile: audio, Video: true, Audio: true,
		CameraID: "ignored", Synthetic: true, Width: 1280, Height: 720})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(c.Warnings()) != 0 {
		t.Fatalf("warnings %v", c.Warnings())
	}

	venc := newEncodedReader(t, c.VideoTrack(), webrtc.MimeTypeVP8)
	dec, err := NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	const frames = 2*fileFrames + 5 // loops twice
	var first, last time.Time
	var firstN uint32
	for i := range frames {
		img, err := dec.Decode(readEncoded(ctx, t, venc))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Fatalf("frame %d is %v, want the file's %dx%d", i, b, w, h)
		}
		n, ts, ok := ReadFrameStamp(img)
		if !ok || (i > 0 && n != firstN+uint32(i)) {
			t.Fatalf("frame %d: stamp (%d, %v), want %d", i, n, ok, firstN+uint32(i))
		}
		if i == 0 {
			first, firstN = ts, n
		}
		last = ts
		// Stamp n is frame n of the file, counted round the loop.
		want := float64(fileFrameLuma(int(n)%fileFrames)) + 1.5
		if got := meanLumaBelow(img); math.Abs(got-want) > 4 {
			t.Fatalf("frame %d (stamp %d): luma %.1f, want file frame %d's %.1f", i, n, got, int(n)%fileFrames, want)
		}
	}
	perFrame := last.Sub(first) / (frames - 1)
	t.Logf("%d frames, %v per frame", frames, perFrame)
	// Paced in real time: never faster than the file's 25 fps (a loaded
	// machine may be slower).
	if perFrame < 38*time.Millisecond || perFrame > 200*time.Millisecond {
		t.Errorf("%v per frame, want ≈ 40 ms (the file's 25 fps)", perFrame)
	}

	aenc := newEncodedReader(t, c.AudioTrack(), webrtc.MimeTypeOpus)
	adec, err := NewOpusDecoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, adec.MaxSamples())
	var all []int16
	for i := range 30 {
		n, err := adec.Decode(readEncoded(ctx, t, aenc), pcm)
		if err != nil {
			t.Fatal(err)
		}
		if i >= 5 { // codec start-up
			all = append(all, pcm[:n]...)
		}
	}
	rep, err := AnalyzePCM(all, 48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(rep.Frequency-440) > 2 || rep.RMS < 0.1 {
		t.Errorf("440 Hz file received as %.2f Hz at RMS %.3f", rep.Frequency, rep.RMS)
	}
}

// Files that cannot be played fail Open (or degrade it) with a
// *DeviceError that names the file and says what would work.
func TestOpenBadMediaFiles(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t, 20*time.Second)
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "ok.wav"), toneWAV(440, 48000, 1, 0.1))
	yuv444 := filepath.Join(dir, "444.y4m")
	writeY4M(t, yuv444, 320, 240, 1, "F30:1 C444")
	notWAV := writeFile(t, filepath.Join(dir, "x.wav"), []byte("hello"))
	missing := filepath.Join(dir, "missing.y4m")

	for _, tc := range []struct {
		name        string
		video, aud  string
		kind        Kind
		path, cause string
	}{
		{"missing video", missing, "", KindCamera, missing, "no such file"},
		{"444 video", yuv444, "", KindCamera, yuv444, "colourspace 444"},
		{"not a wav", "", notWAV, KindMicrophone, notWAV, "not a RIFF/WAVE file"},
		{"missing audio", "", missing, KindMicrophone, missing, "no such file"},
	} {
		_, err := Open(ctx, CaptureConfig{VideoFile: tc.video, AudioFile: tc.aud, Video: tc.video != "", Audio: tc.aud != ""})
		var de *DeviceError
		if !errors.Is(err, ErrBadFile) || !errors.As(err, &de) || de.Kind != tc.kind || de.DeviceID != tc.path {
			t.Errorf("%s: %v, want a %v *DeviceError for %s matching ErrBadFile", tc.name, err, tc.kind, tc.path)
			continue
		}
		mustContain(t, err.Error(), tc.path)
		mustContain(t, err.Error(), tc.cause)
		if tc.kind == KindCamera {
			mustContain(t, de.UserMessage(), ".y4m file of 8-bit 4:2:0 video")
		} else {
			mustContain(t, de.UserMessage(), ".wav file of 16-bit PCM")
		}
		if err := CheckMediaFiles(tc.video, tc.aud); !errors.Is(err, ErrBadFile) {
			t.Errorf("%s: CheckMediaFiles = %v", tc.name, err)
		}
	}

	// A bad video file next to a good audio file degrades to audio only.
	c, err := Open(ctx, CaptureConfig{VideoFile: yuv444, AudioFile: good, Video: true, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.VideoTrack() != nil || c.AudioTrack() == nil || len(c.Warnings()) != 1 || !errors.Is(c.Warnings()[0], ErrBadFile) {
		t.Errorf("video %v audio %v warnings %v", c.VideoTrack(), c.AudioTrack(), c.Warnings())
	}
	if err := CheckMediaFiles("", good); err != nil {
		t.Errorf("CheckMediaFiles(good wav) = %v", err)
	}
}
