package devices

import (
	"context"
	"errors"
	"fmt"
)

// StartCamera opens the camera of a Capture that has none open: one opened
// without video (an audio call turning video on), or one whose camera
// StopCamera released. It opens what the Capture was configured with, or
// the camera last picked with SwitchCamera, at the configured size and
// rate; the encoders and previews waiting on the Capture's video go on
// from its first frame. It does nothing when a camera is open. ctx bounds
// the wait for the device.
func (c *Capture) StartCamera(ctx context.Context) error {
	c.cameraMu.Lock()
	defer c.cameraMu.Unlock()
	if c.camera.sharing() {
		c.cameraBeforeShare = true // StopSharing opens it
		return nil
	}
	c.camera.mu.Lock()
	open, id, file := c.camera.track != nil, c.camera.id, c.camera.file
	c.camera.mu.Unlock()
	if open {
		return nil
	}
	cfg := c.cfg
	if file {
		cfg.VideoFile = id
	} else {
		cfg.CameraID, cfg.VideoFile = id, ""
	}
	t, err := openVideo(ctx, cfg, c.selector)
	if err != nil {
		return fmt.Errorf("start camera: %w", err)
	}
	t.Transform(videoGate(&c.videoOn))
	if _, ok := c.camera.replace(t, id, file); !ok {
		closeTrack(t)
		return fmt.Errorf("start camera: %w", ErrClosed)
	}
	c.log.Info("camera started", "camera", id)
	return nil
}

// StopCamera releases the camera (its light goes off): the encoders and
// previews reading the Capture's video wait, sending nothing, until
// StartCamera opens it again. No-op when no camera is open.
func (c *Capture) StopCamera() error {
	c.cameraMu.Lock()
	defer c.cameraMu.Unlock()
	if c.camera.sharing() {
		c.cameraBeforeShare = false // the share goes on; no camera after it
		return nil
	}
	c.camera.mu.Lock()
	id, file := c.camera.id, c.camera.file
	c.camera.mu.Unlock()
	old, ok := c.camera.replace(nil, id, file)
	if !ok || old == nil {
		return nil
	}
	c.log.Info("camera stopped", "camera", id)
	if err := closeTrack(old); err != nil && !errors.Is(err, ErrClosed) {
		return fmt.Errorf("stop camera: %w", err)
	}
	return nil
}

// CameraOpen reports whether a camera is open: from Open when video was
// asked for and opened, or from StartCamera until StopCamera.
func (c *Capture) CameraOpen() bool {
	t, _ := c.camera.current()
	return t != nil
}
