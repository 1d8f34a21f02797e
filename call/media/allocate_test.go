package media

import (
	"context"
	"testing"
	"time"

	"duet/devices"
	"duet/internal/xvfbtest"
)

// The ladder follows the budget down at once and up after a hold, in one
// step as far as the budget clearly carries; a step down holds it longer;
// resends come out of the video's share.
func TestAllocatorLadder(t *testing.T) {
	_, v := openLadderEncoder(t, devices.CaptureConfig{Synthetic: true, Video: true, Width: 640, Height: 480, FPS: 30})
	var resent int
	a := newAllocator(nil, &sender{enc: v, video: v}, func() int { return resent })
	step := ladderSteps(t, a, v)
	step(0, 400_000, "320x240@30")               // the start: 340 kbit/s of video
	step(time.Second/2, 2_000_000, "320x240@30") // held
	step(time.Second, 2_000_000, "640x480@30")
	step(3*time.Second, 500_000, "480x360@30") // down at once, below 80 % of the floor
	step(5*time.Second, 2_000_000, "480x360@30")
	step(8*time.Second, 2_000_000, "640x480@30") // after the longer hold
	step(9*time.Second, 120_000, "320x240@15")
	resent = 1_500_000
	step(20*time.Second, 2_000_000, "320x240@30") // what resends leave
	if _, vbps, _ := a.state(); vbps != int(videoShare*float64(2_000_000-1_500_000)) {
		t.Errorf("video target %d with 1.5 Mbit/s of resends", vbps)
	}
	resent = 0
	step(26*time.Second, 5_000_000, "640x480@30")
	if _, vbps, _ := a.state(); vbps != devices.DefaultVideoBitrate {
		t.Errorf("video target %d, want the capture's most, %d", vbps, devices.DefaultVideoBitrate)
	}
}

// A 720p camera is sent at 720p only when the link carries it, and its
// lower layers keep its shape.
func TestAllocatorLadderFrom720p(t *testing.T) {
	_, v := openLadderEncoder(t, devices.CaptureConfig{Synthetic: true, Video: true, Width: 1280, Height: 720, FPS: 30,
		VideoBitrate: 2_500_000})
	a := newAllocator(nil, &sender{enc: v, video: v}, func() int { return 0 })
	step := ladderSteps(t, a, v)
	step(0, 400_000, "426x240@30")
	step(3*time.Second, 1_500_000, "854x480@30") // 1.2 Mbit/s of video: short of 720p
	step(6*time.Second, 2_500_000, "1280x720@30")
	step(7*time.Second, 1_000_000, "854x480@30")
	step(8*time.Second, 150_000, "426x240@15")
}

// A shared screen has a ladder of its own: the frame rate falls first and
// the size only later, and the camera's ladder comes back with the camera.
func TestAllocatorScreenLadder(t *testing.T) {
	xvfbtest.Start(t, 1920, 1080)
	c, v := openLadderEncoder(t, devices.CaptureConfig{Synthetic: true, Video: true, Width: 640, Height: 480, FPS: 30})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.ShareScreen(ctx, ""); err != nil {
		t.Fatal(err)
	}
	for !v.Screen() { // the encoder learns the source from its frames
		if _, _, err := v.Read(); err != nil {
			t.Fatal(err)
		}
	}
	a := newAllocator(nil, &sender{enc: v, video: v}, func() int { return 0 })
	step := ladderSteps(t, a, v)
	step(0, 2_500_000, "1920x1080@15")
	step(time.Second, 900_000, "1920x1080@5")
	step(2*time.Second, 450_000, "1280x720@5")
	step(3*time.Second, 220_000, "1280x720@2")
	step(4*time.Second, 100_000, "960x540@2")
	step(10*time.Second, 2_500_000, "1920x1080@15")

	if err := c.StopSharing(ctx); err != nil {
		t.Fatal(err)
	}
	for v.Screen() {
		if _, _, err := v.Read(); err != nil {
			t.Fatal(err)
		}
	}
	step(11*time.Second, 2_500_000, "640x480@30")
}

// ladderSteps returns a step of a ladder test: the allocator applies
// target at a time into the test, and the encoder's layer must be want.
func ladderSteps(t *testing.T, a *allocator, v *devices.VideoEncoder) func(at time.Duration, target int, want string) {
	t0 := time.Unix(0, 0)
	return func(at time.Duration, target int, want string) {
		t.Helper()
		a.apply(target, t0.Add(at))
		if got := v.Layer().String(); got != want {
			t.Errorf("at %v with %d kbit/s: %s, want %s", at, target/1000, got, want)
		}
	}
}

// openLadderEncoder opens a synthetic capture and a video encoder on it,
// closed when the test ends.
func openLadderEncoder(t *testing.T, cfg devices.CaptureConfig) (*devices.Capture, *devices.VideoEncoder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := devices.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	v, err := c.NewVideoEncoder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return c, v
}
