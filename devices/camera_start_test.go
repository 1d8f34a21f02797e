package devices

import (
	"testing"
	"time"
)

// An audio-only Capture turns its camera on and off mid-call: an encoder
// made before the camera opened waits, then encodes its frames; stopped,
// it sends nothing until the camera opens again; Close ends a waiting
// encoder.
func TestCaptureStartStopCamera(t *testing.T) {
	checkGoroutines(t)
	c := openSynthetic(t, CaptureConfig{Audio: true, Width: 320, Height: 240, FPS: 30})
	if c.CameraOpen() || c.VideoTrack() != nil {
		t.Fatal("an audio capture has a camera open")
	}
	enc, err := c.NewVideoEncoder()
	if err != nil {
		t.Fatal(err)
	}
	frames := make(chan int)
	go func() {
		defer close(frames)
		defer enc.Close()
		for {
			data, _, err := enc.Read()
			if err != nil {
				return
			}
			frames <- len(data)
		}
	}()
	// noFrame checks that the encoder stays idle while frames would have
	// come at 30 fps: a positive observation over a window, not a timing
	// assertion on the encoder.
	noFrame := func(what string) {
		t.Helper()
		select {
		case n := <-frames:
			t.Fatalf("%s: a %d-byte frame", what, n)
		case <-time.After(300 * time.Millisecond):
		}
	}
	someFrames := func(what string) {
		t.Helper()
		for range 5 {
			select {
			case <-frames:
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: no frames", what)
			}
		}
	}
	noFrame("before the camera starts")
	if err := c.StartCamera(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if !c.CameraOpen() || c.VideoTrack() == nil {
		t.Fatal("no camera after StartCamera")
	}
	someFrames("after StartCamera")
	if err := c.StopCamera(); err != nil {
		t.Fatal(err)
	}
	// Frames encoded before the stop may still be on their way.
	for drained := false; !drained; {
		select {
		case <-frames:
		case <-time.After(200 * time.Millisecond):
			drained = true
		}
	}
	noFrame("after StopCamera")
	if c.CameraOpen() {
		t.Fatal("camera open after StopCamera")
	}
	// A camera picked while stopped is the one the next start opens.
	if err := c.SwitchCamera(testContext(t, 10*time.Second), SyntheticSceneCameraID); err != nil {
		t.Fatal(err)
	}
	if c.CameraOpen() {
		t.Fatal("a switch while stopped opened the camera")
	}
	if err := c.StartCamera(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := c.CameraID(); got != SyntheticSceneCameraID {
		t.Errorf("camera %q after starting again", got)
	}
	someFrames("after starting again")
	if err := c.StopCamera(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	for range frames {
	}
}
