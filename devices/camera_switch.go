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
// at their next frame, and nothing is renegotiated. The slot may be empty
// (a Capture opened without video, or StopCamera): readers then wait for
// StartCamera.
//
// Safe for concurrent use.
type cameraSlot struct {
	// lost replaces the camera of a generation whose reads failed (the
	// device went away); false when the slot is closed. Set before the
	// slot is shared.
	lost func(gen uint64, err error) bool

	mu      sync.Mutex
	track   *mediadevices.VideoTrack // guarded by mu; nil while no camera is open
	id      string                   // guarded by mu: what was asked for
	file    bool                     // guarded by mu: id is a video file, not a camera
	screen  bool                     // guarded by mu: track is a shared screen, not the camera
	gen     uint64                   // guarded by mu: changes so far
	changed chan struct{}            // guarded by mu: closed at the next change
	closed  bool                     // guarded by mu
}

func newCameraSlot(t *mediadevices.VideoTrack, id string, file bool) *cameraSlot {
	return &cameraSlot{track: t, id: id, file: file, changed: make(chan struct{})}
}

func (c *cameraSlot) current() (*mediadevices.VideoTrack, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.track, c.gen
}

// replace makes t (nil: none) the camera and returns the one it replaces;
// false after close (t is then the caller's to close).
func (c *cameraSlot) replace(t *mediadevices.VideoTrack, id string, file bool) (*mediadevices.VideoTrack, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, false
	}
	old := c.track
	c.track, c.id, c.file, c.screen = t, id, file, false
	c.changedLocked()
	return old, true
}

// share puts a shared screen in the camera's place and returns the track it
// replaces; false after close.
func (c *cameraSlot) share(t *mediadevices.VideoTrack) (*mediadevices.VideoTrack, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, false
	}
	old := c.track
	c.track, c.screen = t, true
	c.changedLocked()
	return old, true
}

// setIDWhileSharing picks the camera that comes back after a screen share;
// false when no screen is shared.
func (c *cameraSlot) setIDWhileSharing(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.screen {
		c.id, c.file = id, false
	}
	return c.screen
}

// sharing reports whether the slot holds a shared screen.
func (c *cameraSlot) sharing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.screen
}

// changedLocked wakes the readers waiting for a camera.
func (c *cameraSlot) changedLocked() {
	c.gen++
	close(c.changed)
	c.changed = make(chan struct{})
}

// close ends the camera for good and returns the track to close (nil when
// none is open).
func (c *cameraSlot) close() *mediadevices.VideoTrack {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.changedLocked()
	}
	return c.track
}

// followingReader reads the current camera, moving to a new one after a
// switch: the old one's readers fail once it closes, and a reader that
// sees that the camera changed reads on from the new one. A reader whose
// camera fails without a switch has the slot replace it (lost). While the
// slot is empty it waits.
type followingReader struct {
	cam     *cameraSlot
	copying bool
	r       video.Reader // nil while the slot is empty
	gen     uint64
}

func (c *cameraSlot) newReader(copying bool) video.Reader {
	t, gen := c.current()
	f := &followingReader{cam: c, copying: copying, gen: gen}
	if t != nil {
		f.r = t.NewReader(copying)
	}
	return f
}

func (f *followingReader) Read() (image.Image, func(), error) {
	for {
		err := ErrClosed
		if f.r != nil {
			img, release, rerr := f.r.Read()
			if rerr == nil {
				return img, release, nil
			}
			err = rerr
		}
		f.cam.mu.Lock()
		t, gen, changed, closed := f.cam.track, f.cam.gen, f.cam.changed, f.cam.closed
		f.cam.mu.Unlock()
		switch {
		case closed:
			return nil, nil, err
		case gen != f.gen:
			f.r, f.gen = nil, gen
			if t != nil {
				f.r = t.NewReader(f.copying)
			}
		case f.r != nil:
			// The camera failed without a switch: the slot replaces it,
			// and the next turn reads from the new one.
			if f.cam.lost == nil || !f.cam.lost(gen, err) {
				return nil, nil, err
			}
		default:
			<-changed
		}
	}
}

// SwitchCamera replaces the camera with cameraID (a device ID, or one of
// the synthetic sources) at the same size and rate, without renegotiation:
// what reads the camera (the call's encoder, previews) goes on from the new
// one at its next frame. The old camera is released once the new one is
// open; if the new one cannot be opened the old one stays and the error
// says why. While no camera is open (StopCamera, or a Capture opened
// without video) it only picks the camera the next StartCamera opens.
func (c *Capture) SwitchCamera(ctx context.Context, cameraID string) error {
	c.cameraMu.Lock()
	defer c.cameraMu.Unlock()
	if c.camera.setIDWhileSharing(cameraID) {
		return nil // StopSharing opens it
	}
	if cur, _ := c.camera.current(); cur == nil {
		if _, ok := c.camera.replace(nil, cameraID, false); !ok {
			return fmt.Errorf("switch camera: %w", ErrClosed)
		}
		return nil
	}
	cfg := c.cfg
	cfg.CameraID, cfg.VideoFile = cameraID, ""
	t, err := openVideo(ctx, cfg, c.selector)
	if err != nil {
		return fmt.Errorf("switch camera: %w", err)
	}
	t.Transform(videoGate(&c.videoOn))
	old, ok := c.camera.replace(t, cameraID, false)
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
	c.camera.mu.Lock()
	defer c.camera.mu.Unlock()
	return c.camera.id
}
