package devices

import (
	"errors"
	"testing"
	"time"
)

// A camera switch moves the encoder and the previews to the new camera
// without a new encoder; a camera that cannot be opened leaves the old
// one in use.
func TestCaptureSwitchCamera(t *testing.T) {
	checkGoroutines(t)
	c := openSynthetic(t, CaptureConfig{Video: true, Width: 320, Height: 240, FPS: 30})
	enc, err := c.NewVideoEncoder()
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	enc.SetBitRate(2_000_000)
	preview := c.NewVideoPreview()
	meanFrame := func(n int) int {
		t.Helper()
		total := 0
		for range n {
			data, _, err := enc.Read()
			if err != nil {
				t.Fatal(err)
			}
			total += len(data)
		}
		return total / n
	}
	meanFrame(5) // the first key frame
	pattern := meanFrame(15)
	if err := c.SwitchCamera(testContext(t, 10*time.Second), SyntheticSceneCameraID); err != nil {
		t.Fatal(err)
	}
	meanFrame(10)
	scene := meanFrame(15)
	t.Logf("mean frame %d bytes on the test pattern, %d on the scene", pattern, scene)
	if scene < 2*pattern { // about 2.4 times here
		t.Errorf("the encoder still reads the test pattern: %d bytes a frame, %d before", scene, pattern)
	}
	if got := c.CameraID(); got != SyntheticSceneCameraID {
		t.Errorf("camera %q after the switch", got)
	}
	if _, _, err := preview.Read(); err != nil {
		t.Fatalf("the preview did not follow the switch: %v", err)
	}

	err = c.SwitchCamera(testContext(t, 10*time.Second), "no-such-camera")
	if !errors.Is(err, ErrNoCamera) {
		t.Errorf("switching to a missing camera: %v, want ErrNoCamera", err)
	}
	if got := c.CameraID(); got != SyntheticSceneCameraID {
		t.Errorf("camera %q after a failed switch", got)
	}
	if meanFrame(5) == 0 {
		t.Error("no frames after a failed switch")
	}
}
