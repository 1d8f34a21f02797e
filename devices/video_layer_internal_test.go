package devices

import (
	"image"
	"testing"
)

// TestLayerFollowsTheSourceSize: a layer asked above the camera's size is
// clamped to it, and fitted again when a larger source takes the camera's
// place, even if a last camera frame was taken for the new source's first.
func TestLayerFollowsTheSourceSize(t *testing.T) {
	slot := &cameraSlot{}
	e := &VideoEncoder{slot: slot, cameraFPS: 30}
	camera := Layer{Width: 640, Height: 480, FPS: 30}
	e.native.Store(&camera)
	e.asked.Store(&camera)
	e.want.Store(&camera)

	e.SetLayer(Layer{Height: 1080, FPS: 15})
	if got := e.Layer(); got != (Layer{Width: 640, Height: 480, FPS: 15}) {
		t.Fatalf("1080 lines asked of a 640x480 camera: %+v", got)
	}
	slot.mu.Lock()
	slot.screen = true
	slot.mu.Unlock()
	e.learnSource(image.Rect(0, 0, 640, 480)) // the camera's last frame, read as the screen's
	e.SetLayer(Layer{Height: 1080, FPS: 15})  // the sender picks for a screen
	e.learnSource(image.Rect(0, 0, 960, 540)) // the screen's frames
	if got := e.Layer(); got != (Layer{Width: 960, Height: 540, FPS: 15}) {
		t.Errorf("1080 lines asked of a 960x540 screen: %+v", got)
	}
	e.SetLayer(Layer{Height: 360, FPS: 5})
	e.learnSource(image.Rect(0, 0, 1280, 720))
	if got := e.Layer(); got != (Layer{Width: 640, Height: 360, FPS: 5}) {
		t.Errorf("360 lines asked when the screen grows to 1280x720: %+v", got)
	}
}
