package devices

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A camera whose reads fail mid-call (here a video file cut down to its
// header, as a camera unplugged fails its reads) is replaced: by another
// camera if the machine has one, else by black frames. The encoder and the
// preview go on reading, the Capture reports the fallback, and a later
// switch reaches the encoder.
func TestCaptureCameraLostFallsBack(t *testing.T) {
	checkGoroutines(t)
	path := filepath.Join(t.TempDir(), "camera.y4m")
	writeY4M(t, path, 128, 96, 3, "F30:1")
	fallbacks := make(chan Fallback, 4)
	c, err := Open(testContext(t, 10*time.Second), CaptureConfig{Video: true, VideoFile: path, Width: 128, Height: 96, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.OnFallback(func(fb Fallback) { fallbacks <- fb })
	enc, err := c.NewVideoEncoder()
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	preview := c.NewVideoPreview()
	for range 5 {
		if _, _, err := enc.Read(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Truncate(path, int64(len("YUV4MPEG2 W128 H96 F30:1\n"))); err != nil {
		t.Fatal(err)
	}
	// The failure, and the fallback, happen inside a read.
	var fb Fallback
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, _, err := enc.Read(); err != nil {
			t.Fatalf("the encoder stopped with the lost camera: %v", err)
		}
		select {
		case fb = <-fallbacks:
		default:
			if time.Now().After(deadline) {
				t.Fatal("no fallback reported after the camera failed")
			}
			continue
		}
		break
	}
	t.Logf("fallback: %+v", fb)
	if fb.Kind != KindCamera || fb.Lost != path {
		t.Errorf("fallback %+v: want the camera %s lost", fb, path)
	}
	if fb.Now.ID == "" && !errors.Is(fb.Err, ErrNoCamera) {
		t.Errorf("fallback %+v: no camera in use and no ErrNoCamera", fb)
	}
	for range 10 {
		if _, _, err := enc.Read(); err != nil {
			t.Fatalf("the encoder stopped with the lost camera: %v", err)
		}
	}
	img, _, err := preview.Read()
	if err != nil {
		t.Fatalf("the preview stopped with the lost camera: %v", err)
	}
	if fb.Now.ID == "" && img.Bounds().Dx() != 128 {
		t.Errorf("stand-in frame %v, want 128 wide", img.Bounds())
	}
	if err := c.SwitchCamera(testContext(t, 10*time.Second), SyntheticCameraID); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, _, err := enc.Read(); err != nil {
			t.Fatalf("the encoder stopped after switching from the stand-in: %v", err)
		}
	}
	if len(fallbacks) != 0 {
		t.Errorf("more fallbacks: %+v", <-fallbacks)
	}
}
