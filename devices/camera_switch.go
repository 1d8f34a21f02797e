package devices

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/io/video"
)

// cameraSlot is a Capture's current camera. SwitchCamera replaces it under
// the encoders and previews reading it: their readers move to the new one
// at their next frame, and nothing is renegotiated.
//
// Safe for concurrent use.
type cameraSlot struct {
	// lost replaces the camera of a generation whose reads failed (the
	// device went away); false when the slot is closed.
	lost func(gen uint64, err error) bool

	mu     sync.Mutex
	track  *mediadevices.VideoTrack // guarded by mu
	id     string                   // guarded by mu: what was asked for
	gen    uint64                   // guarded by mu: switches so far
	closed bool                     // guarded by mu
}

func (c *cameraSlot) current() (*mediadevices.VideoTrack, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.track, c.gen
}

// replace makes t the camera and returns the one it replaces; false after
// close (t is then the caller's to close).
func (c *cameraSlot) replace(t *mediadevices.VideoTrack, id string) (*mediadevices.VideoTrack, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, false
	}
	old := c.track
	c.track, c.id = t, id
	c.gen++
	return old, true
}

// close ends the camera for good and returns the track to close.
func (c *cameraSlot) close() *mediadevices.VideoTrack {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return c.track
}

// followingReader reads the current camera, moving to a new one after a
// switch: the old one's readers fail once it closes, and a reader that
// sees that the camera changed reads on from the new one. A reader whose
// camera fails without a switch has the slot replace it (lost).
type followingReader struct {
	cam     *cameraSlot
	copying bool
	r       video.Reader
	gen     uint64
}

func (c *cameraSlot) newReader(copying bool) video.Reader {
	t, gen := c.current()
	return &followingReader{cam: c, copying: copying, r: t.NewReader(copying), gen: gen}
}

func (f *followingReader) Read() (image.Image, func(), error) {
	for {
		img, release, err := f.r.Read()
		if err == nil {
			return img, release, nil
		}
		t, gen := f.cam.current()
		if gen == f.gen {
			if f.cam.lost == nil || !f.cam.lost(gen, err) {
				return nil, nil, err
			}
			t, gen = f.cam.current()
		}
		f.r, f.gen = t.NewReader(f.copying), gen
	}
}

// SwitchCamera replaces the camera with cameraID (a device ID, or one of
// the synthetic sources) at the same size and rate, without renegotiation:
// what reads the camera (the call's encoder, previews) goes on from the new
// one at its next frame. The old camera is released once the new one is
// open; if the new one cannot be opened the old one stays and the error
// says why. It fails with ErrNothingRequested when the Capture has no
// video.
func (c *Capture) SwitchCamera(ctx context.Context, cameraID string) error {
	if c.camera == nil {
		return fmt.Errorf("switch camera: %w", ErrNothingRequested)
	}
	cfg := c.cfg
	cfg.CameraID, cfg.VideoFile = cameraID, ""
	t, err := openVideo(ctx, cfg, c.selector)
	if err != nil {
		return fmt.Errorf("switch camera: %w", err)
	}
	t.Transform(videoGate(&c.videoOn))
	old, ok := c.camera.replace(t, cameraID)
	if !ok {
		closeTrack(t)
		return fmt.Errorf("switch camera: %w", ErrClosed)
	}
	if err := closeTrack(old); err != nil && !errors.Is(err, ErrClosed) {
		c.log.Warn("closing the previous camera", "err", err)
	}
	c.log.Info("camera switched", "camera", cameraID)
	return nil
}

// CameraID is the camera in use: as opened, or as last switched to.
func (c *Capture) CameraID() string {
	if c.camera == nil {
		return ""
	}
	c.camera.mu.Lock()
	defer c.camera.mu.Unlock()
	return c.camera.id
}
