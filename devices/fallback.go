package devices

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gen2brain/malgo"
	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/driver"
)

// deviceLostAfter is how long a real microphone or speaker may go without
// audio before the sound server is asked whether it is still there: a
// working one delivers every 10 ms.
const deviceLostAfter = 500 * time.Millisecond

// fallbackOpenTimeout bounds opening the device that replaces a lost one.
const fallbackOpenTimeout = 10 * time.Second

// Fallback reports a device that went away while a Capture used it, and
// what the Capture uses instead.
type Fallback struct {
	Kind Kind
	// Lost is the ID of the device that went away.
	Lost string
	// Now is the device in use instead: the system default, or for a
	// camera the first other one. Zero when none could be opened; a lost
	// camera is then replaced by black frames and a lost microphone ends
	// the audio track.
	Now Device
	// Err says why no device could be opened; nil when Now is in use.
	Err error
}

// OnFallback sets f to be told when a device in use is unplugged and
// replaced. f is called from the goroutine reading the device and must not
// block; it replaces any f set before. Safe for concurrent use.
func (c *Capture) OnFallback(f func(Fallback)) {
	c.fallbackMu.Lock()
	c.onFallback = f
	c.fallbackMu.Unlock()
}

func (c *Capture) reportFallback(fb Fallback) {
	c.log.Warn("device unplugged", "kind", fb.Kind, "lost", fb.Lost, "now", fb.Now.ID, "err", fb.Err)
	c.fallbackMu.Lock()
	f := c.onFallback
	c.fallbackMu.Unlock()
	if f != nil {
		f(fb)
	}
}

// microphoneLost replaces a microphone that went away with the system's
// default one. It runs on the audio track's reading goroutine, which waits
// for it; the error is why no microphone could be opened.
func (c *Capture) microphoneLost() error {
	lost := c.MicrophoneID()
	ctx, cancel := context.WithTimeout(context.Background(), fallbackOpenTimeout)
	defer cancel()
	mics, _, err := listSound()
	if len(mics) == 0 {
		err = deviceError("open", KindMicrophone, "", ErrNoMicrophone, err)
		c.reportFallback(Fallback{Kind: KindMicrophone, Lost: lost, Err: err})
		return err
	}
	now := mics[0] // the default first
	cfg := c.cfg
	cfg.MicrophoneID, cfg.AudioFile = now.ID, ""
	device, err := openAudio(ctx, cfg, c.selector)
	if err == nil {
		err = c.putMicrophone(device, now.ID)
	}
	if err != nil {
		c.reportFallback(Fallback{Kind: KindMicrophone, Lost: lost, Err: err})
		return err
	}
	c.reportFallback(Fallback{Kind: KindMicrophone, Lost: lost, Now: now})
	return nil
}

// cameraLost replaces the camera of generation gen, whose reads failed,
// with another camera (the default first), or with black frames when there
// is none, so the encoders and previews reading it go on and a later
// switch still reaches the peer. It runs on a reading goroutine; several
// readers may see the failure, and the first one replaces the camera. It
// returns false after Close.
func (c *Capture) cameraLost(gen uint64, cause error) bool {
	c.cameraLostMu.Lock()
	defer c.cameraLostMu.Unlock()
	c.camera.mu.Lock()
	closed, current, lost := c.camera.closed, c.camera.gen, c.camera.id
	c.camera.mu.Unlock()
	if closed {
		return false
	}
	if current != gen {
		return true // another reader replaced it already
	}
	ctx, cancel := context.WithTimeout(context.Background(), fallbackOpenTimeout)
	defer cancel()
	cfg := c.cfg
	cfg.VideoFile = ""
	var t *mediadevices.VideoTrack
	var now Device
	var errs []error
	cams := slices.DeleteFunc(listCaptureDrivers(driver.FilterVideoRecorder(), KindCamera),
		func(d Device) bool { return d.ID == lost })
	for _, cam := range cams {
		cfg.CameraID = cam.ID
		var err error
		if t, err = openVideo(ctx, cfg, c.selector); err == nil {
			now = cam
			break
		}
		errs = append(errs, err)
	}
	fb := Fallback{Kind: KindCamera, Lost: lost, Now: now}
	if t == nil {
		fb.Err = deviceError("open", KindCamera, "", ErrNoCamera, errors.Join(errs...))
		var err error
		if t, err = asVideoTrack(mediadevices.NewVideoTrack(newBlankSource(cfg.Width&^1, cfg.Height&^1, cfg.FPS), c.selector)); err != nil {
			c.log.Warn("no stand-in for the lost camera", "err", err)
			return false
		}
	}
	t.Transform(videoGate(&c.videoOn))
	old, ok := c.camera.replace(t, now.ID, false)
	if !ok {
		closeTrack(t)
		return false
	}
	if err := closeTrack(old); err != nil && !errors.Is(err, ErrClosed) {
		c.log.Warn("closing the lost camera", "err", err)
	}
	c.log.Info("camera read failed", "camera", lost, "err", cause)
	c.reportFallback(fb)
	return true
}

// soundDeviceListed asks the sound server whether the device id of typ is
// still there. It answers true when the server cannot be asked: only a
// device known to be gone counts as lost.
func soundDeviceListed(typ malgo.DeviceType, id string) bool {
	mctx, err := malgo.InitContext(nil, malgo.ContextConfig{}, nil)
	if err != nil {
		return true
	}
	defer func() {
		_ = mctx.Uninit()
		mctx.Free()
	}()
	infos, err := mctx.Devices(typ)
	if err != nil {
		return true
	}
	return slices.ContainsFunc(infos, func(info malgo.DeviceInfo) bool { return info.ID.String() == id })
}

// lostError is the error a read of a device that went away returns.
func lostError(kind Kind, id string) error {
	return deviceError("read", kind, id, ErrDeviceLost, fmt.Errorf("no audio for %s", deviceLostAfter))
}
