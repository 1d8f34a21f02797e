package devices

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/prop"
)

// driverMu serialises opening and closing real devices. mediadevices keeps
// each driver's open/closed state in an unguarded field, so two calls that
// touch the same driver at once would race.
var driverMu sync.Mutex

func openVideo(ctx context.Context, cfg CaptureConfig, sel *mediadevices.CodecSelector) (*mediadevices.VideoTrack, error) {
	if cfg.VideoFile != "" {
		src, err := openVideoFile(cfg.VideoFile)
		if err != nil {
			return nil, err
		}
		return asVideoTrack(mediadevices.NewVideoTrack(src, sel))
	}
	switch cfg.CameraID {
	case SyntheticCameraID:
		src, err := NewTestPattern(cfg.Width&^1, cfg.Height&^1, cfg.FPS)
		if err != nil {
			return nil, deviceError("open", KindCamera, cfg.CameraID, ErrInvalidConfig, err)
		}
		return asVideoTrack(mediadevices.NewVideoTrack(src, sel))
	case SyntheticSceneCameraID:
		src, err := NewScene(cfg.Width&^1, cfg.Height&^1, cfg.FPS)
		if err != nil {
			return nil, deviceError("open", KindCamera, cfg.CameraID, ErrInvalidConfig, err)
		}
		return asVideoTrack(mediadevices.NewVideoTrack(src, sel))
	}
	d, err := pickDriver(driver.FilterVideoRecorder(), KindCamera, cfg.CameraID)
	if err != nil {
		return nil, err
	}
	t, err := openDriver(ctx, d, KindCamera, mediadevices.MediaStreamConstraints{
		Codec: sel,
		Video: func(c *mediadevices.MediaTrackConstraints) {
			c.DeviceID = prop.StringExact(d.ID())
			c.Width = prop.Int(cfg.Width)
			c.Height = prop.Int(cfg.Height)
			c.FrameRate = prop.Float(cfg.FPS)
			// Drop stale frames queued while nobody was reading (e.g. before
			// the call connected) instead of sending them late.
			c.DiscardFramesOlderThan = 500 * time.Millisecond
		},
	})
	if err != nil {
		return nil, err
	}
	return asVideoTrack(t)
}

func openAudio(ctx context.Context, cfg CaptureConfig, sel *mediadevices.CodecSelector) (*mediadevices.AudioTrack, error) {
	if cfg.AudioFile != "" {
		src, err := openAudioFile(cfg.AudioFile)
		if err != nil {
			return nil, err
		}
		return asAudioTrack(mediadevices.NewAudioTrack(src, sel))
	}
	if cfg.MicrophoneID == SyntheticMicrophoneID {
		src, err := NewTone(cfg.ToneHz, 48000, 1)
		if err != nil {
			return nil, deviceError("open", KindMicrophone, cfg.MicrophoneID, ErrInvalidConfig, err)
		}
		return asAudioTrack(mediadevices.NewAudioTrack(src, sel))
	}
	id := cfg.MicrophoneID
	if id == "" {
		mics, _, err := listSound()
		if len(mics) == 0 {
			return nil, deviceError("open", KindMicrophone, id, ErrNoMicrophone, err)
		}
		id = mics[0].ID // default first
	}
	m, err := openMicrophone(ctx, id)
	if err != nil {
		return nil, err
	}
	return asAudioTrack(mediadevices.NewAudioTrack(m, sel))
}

// pickDriver finds the driver for id, or the default one when id is empty.
func pickDriver(filter driver.FilterFn, kind Kind, id string) (driver.Driver, error) {
	var want string
	if id == "" {
		devs := listCaptureDrivers(filter, kind)
		if len(devs) == 0 {
			return nil, deviceError("open", kind, id, notFound(kind), nil)
		}
		want = devs[0].ID // default first
	} else {
		want = id
	}
	ds := driver.GetManager().Query(driver.FilterAnd(filter, func(d driver.Driver) bool { return cameraID(d) == want }))
	if len(ds) == 0 {
		return nil, deviceError("open", kind, id, notFound(kind), nil)
	}
	return ds[0], nil
}

// openDriver runs GetUserMedia for one driver, bounded by ctx. GetUserMedia
// cannot be cancelled, so when ctx ends first the track it eventually
// returns is closed in the background.
func openDriver(ctx context.Context, d driver.Driver, kind Kind, c mediadevices.MediaStreamConstraints) (mediadevices.Track, error) {
	type result struct {
		track mediadevices.Track
		err   error
	}
	done := make(chan result, 1)
	go func() {
		driverMu.Lock()
		defer driverMu.Unlock()
		t, err := getUserMedia(d, kind, c)
		done <- result{t, err}
	}()
	select {
	case r := <-done:
		return r.track, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.track != nil {
				_ = closeTrack(r.track)
			}
		}()
		return nil, deviceError("open", kind, d.ID(), ErrDeviceFailed, ctx.Err())
	}
}

// getUserMedia opens d and returns its single track. Call with driverMu held.
func getUserMedia(d driver.Driver, kind Kind, c mediadevices.MediaStreamConstraints) (mediadevices.Track, error) {
	stream, err := mediadevices.GetUserMedia(c)
	if err != nil {
		reason := classify(kind, err)
		if reason == notFound(kind) && d.Status() == driver.StateClosed {
			// mediadevices skips drivers it cannot open while matching
			// constraints and then reports "not found"; opening it directly
			// tells busy and permission problems apart.
			if oerr := d.Open(); oerr != nil {
				return nil, deviceError("open", kind, d.ID(), nil, oerr)
			}
			_ = d.Close()
			// It opens, so it exists: it just offers no usable mode.
			reason = ErrDeviceFailed
		}
		return nil, deviceError("open", kind, d.ID(), reason, err)
	}
	tracks := stream.GetTracks()
	if len(tracks) != 1 {
		for _, t := range tracks {
			_ = t.Close()
		}
		return nil, deviceError("open", kind, d.ID(), ErrDeviceFailed,
			fmt.Errorf("got %d tracks, want 1", len(tracks)))
	}
	return tracks[0], nil
}

func asVideoTrack(t mediadevices.Track) (*mediadevices.VideoTrack, error) {
	vt, ok := t.(*mediadevices.VideoTrack)
	if !ok {
		_ = closeTrack(t)
		return nil, deviceError("open", KindCamera, t.ID(), ErrDeviceFailed, fmt.Errorf("unexpected track type %T", t))
	}
	return vt, nil
}

func asAudioTrack(t mediadevices.Track) (*mediadevices.AudioTrack, error) {
	at, ok := t.(*mediadevices.AudioTrack)
	if !ok {
		_ = closeTrack(t)
		return nil, deviceError("open", KindMicrophone, t.ID(), ErrDeviceFailed, fmt.Errorf("unexpected track type %T", t))
	}
	return at, nil
}

// closeTrack closes a track under driverMu (real drivers change state on close).
func closeTrack(t mediadevices.Track) error {
	driverMu.Lock()
	defer driverMu.Unlock()
	return t.Close()
}
