package devices

import (
	"context"
	"errors"
	"fmt"

	"github.com/pion/mediadevices"
)

// ShareScreen puts the screen screenID (an ID from Screens; "" for the
// first) where the camera was: the encoders and previews reading the
// Capture's video go on with the screen's frames at its own size and
// screenFPS, and the encoder tunes itself for screen content. The camera is
// released meanwhile (its light goes off); StopSharing brings it back.
// Sharing another screen while one is shared switches to it. Nothing is
// renegotiated. The camera-off gate does not apply: sharing is its own
// choice.
func (c *Capture) ShareScreen(ctx context.Context, screenID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("share screen: %w", err)
	}
	c.cameraMu.Lock()
	defer c.cameraMu.Unlock()
	c.camera.mu.Lock()
	if !c.camera.screen {
		c.cameraBeforeShare = c.camera.track != nil
	}
	c.camera.mu.Unlock()
	if c.camera.sharing() {
		// Another screen, or the same one again: the driver opens once.
		old, _ := c.camera.share(nil)
		c.releaseVideo(old)
	}
	src, err := openScreen(screenID)
	if err != nil {
		return err
	}
	t, err := asVideoTrack(mediadevices.NewVideoTrack(src, c.selector))
	if err != nil {
		src.Close()
		return fmt.Errorf("share screen: %w", err)
	}
	old, ok := c.camera.share(t)
	if !ok {
		_ = t.Close()
		return fmt.Errorf("share screen: %w", ErrClosed)
	}
	c.releaseVideo(old)
	c.log.Info("screen shared", "screen", src.ID())
	return nil
}

// StopSharing ends a screen share: the camera comes back as it was before
// (open, or not when none was), or the camera last picked with
// SwitchCamera. A camera that cannot open leaves the video empty, as
// StopCamera would, and the error says why. No-op when nothing is shared.
func (c *Capture) StopSharing(ctx context.Context) error {
	c.cameraMu.Lock()
	defer c.cameraMu.Unlock()
	c.camera.mu.Lock()
	sharing, id, file := c.camera.screen, c.camera.id, c.camera.file
	c.camera.mu.Unlock()
	if !sharing {
		return nil
	}
	var cam *mediadevices.VideoTrack
	var openErr error
	if c.cameraBeforeShare {
		cfg := c.cfg
		if file {
			cfg.VideoFile = id
		} else {
			cfg.CameraID, cfg.VideoFile = id, ""
		}
		if cam, openErr = openVideo(ctx, cfg, c.selector); openErr == nil {
			cam.Transform(videoGate(&c.videoOn))
		}
	}
	old, ok := c.camera.replace(cam, id, file)
	if !ok {
		if cam != nil {
			closeTrack(cam)
		}
		return fmt.Errorf("stop sharing: %w", ErrClosed)
	}
	c.releaseVideo(old)
	c.log.Info("screen share stopped", "camera", id, "cameraOpen", cam != nil)
	if openErr != nil {
		return fmt.Errorf("stop sharing: camera back: %w", openErr)
	}
	return nil
}

// Sharing reports whether a screen is shared in the camera's place.
func (c *Capture) Sharing() bool { return c.camera.sharing() }

// releaseVideo closes a track taken out of the camera slot.
func (c *Capture) releaseVideo(t *mediadevices.VideoTrack) {
	if t == nil {
		return
	}
	if err := closeTrack(t); err != nil && !errors.Is(err, ErrClosed) {
		c.log.Warn("closing the previous video source", "err", err)
	}
}
