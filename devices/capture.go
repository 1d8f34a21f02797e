package devices

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/io/video"
)

// Capture is an open camera and/or microphone with encoders attached. Add its
// tracks to a PeerConnection whose MediaEngine went through RegisterCodecs;
// the encoders start when the PeerConnection binds the tracks.
//
// All methods are safe for concurrent use. The caller that opened a Capture
// must Close it, after closing every PeerConnection it was added to.
type Capture struct {
	log      *slog.Logger
	audio    mediadevices.Track // nil when no audio was opened
	camera   *cameraSlot        // empty when no camera is open (see StartCamera)
	cameraMu sync.Mutex         // serialises starting, stopping and switching the camera
	// cameraBeforeShare: a camera was open when the screen share began;
	// guarded by cameraMu.
	cameraBeforeShare bool
	mic               *micSlot                 // the audio track's source; nil when no audio was opened
	audioTrack        *mediadevices.AudioTrack // c.audio unwrapped, for the level meter
	cfg               CaptureConfig            // as opened, for a device switch
	selector          *mediadevices.CodecSelector
	streamID          string       // shared by both tracks (msid), for lip sync
	opus              *opusBuilder // the audio track's encoders
	videoBitrate      int          // the most the senders' video encoders may use
	layer             Layer        // what was asked of the camera
	warnings          []error      // immutable after Open
	processing        *processor   // nil when the microphone is not processed
	videoOn           atomic.Bool
	audioOn           atomic.Bool

	fallbackMu   sync.Mutex
	onFallback   func(Fallback) // guarded by fallbackMu
	cameraLostMu sync.Mutex     // one lost camera replaced at a time

	closeOnce sync.Once
	closeErr  error
}

// Open opens what cfg asks for. It degrades rather than fails: when one of
// video and audio cannot be opened, it returns a Capture with the other and
// records why in Warnings. It fails only when nothing requested could be
// opened; the error then matches the sentinels of every failure (for example
// ErrNoCamera and ErrNoMicrophone) and its text tells the user what to do.
//
// ctx bounds how long Open waits for a device; a device that finishes opening
// after ctx ended is closed again in the background.
func Open(ctx context.Context, cfg CaptureConfig) (*Capture, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	selector, opus, err := newCodecSelector(cfg)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	streamID := "duet-" + uuid.NewString()
	c := &Capture{log: cfg.Logger, streamID: streamID, opus: opus, videoBitrate: cfg.VideoBitrate,
		layer: Layer{Width: cfg.Width &^ 1, Height: cfg.Height &^ 1, FPS: cfg.FPS}, cfg: cfg, selector: selector}
	c.videoOn.Store(true)
	c.audioOn.Store(true)

	var failures []error
	c.camera = newCameraSlot(nil, cmp.Or(cfg.VideoFile, cfg.CameraID), cfg.VideoFile != "")
	c.camera.lost = c.cameraLost
	if cfg.Video {
		t, err := openVideo(ctx, cfg, selector)
		if err != nil {
			failures = append(failures, err)
		} else {
			t.Transform(videoGate(&c.videoOn))
			c.camera.track = t // not yet shared
		}
	}
	if cfg.Audio {
		degraded, err := c.openMicrophone(ctx, cfg)
		for _, e := range []error{err, degraded} {
			if e != nil {
				failures = append(failures, e)
			}
		}
	}
	if !c.CameraOpen() && c.audio == nil {
		return nil, fmt.Errorf("open capture: %w", errors.Join(failures...))
	}
	for _, f := range failures {
		c.log.Warn("capture degraded", "err", f)
	}
	c.warnings = failures
	c.log.Info("capture open", "video", c.CameraOpen(), "audio", c.audio != nil,
		"camera", cmp.Or(cfg.VideoFile, cfg.CameraID), "microphone", cmp.Or(cfg.AudioFile, cfg.MicrophoneID))
	return c, nil
}

// openMicrophone opens the microphone and the audio track over it, with
// its processing and mute gate. The track reads a micSlot, so that a
// switch puts another device under its processing and encoders. degraded
// says why the microphone is not processed when it should be: the call
// then goes on unprocessed, and says so.
func (c *Capture) openMicrophone(ctx context.Context, cfg CaptureConfig) (degraded, err error) {
	device, err := openAudio(ctx, cfg, c.selector)
	if err != nil {
		return nil, err
	}
	c.mic = newMicSlot(device, cmp.Or(cfg.AudioFile, cfg.MicrophoneID), c.microphoneLost)
	t, err := asAudioTrack(mediadevices.NewAudioTrack(c.mic, c.selector))
	if err != nil {
		c.mic = nil
		return nil, err
	}
	if p := cfg.processing(); p.any() {
		if c.processing, err = newProcessor(p); err != nil {
			degraded = fmt.Errorf("%w: %w", ErrNoAudioProcessing, err)
		} else {
			t.Transform(c.processing.transform)
		}
	}
	t.Transform(audioGate(&c.audioOn))
	c.audioTrack = t
	c.audio = &streamTrack{Track: t, streamID: c.streamID}
	return degraded, nil
}

// streamTrack gives both tracks of a Capture one stable stream ID (msid), so
// the receiver groups them for lip sync. mediadevices returns a new random
// ID on every StreamID call.
type streamTrack struct {
	mediadevices.Track
	streamID string
}

func (t *streamTrack) StreamID() string { return t.streamID }

// PlayedOut gives the microphone's echo canceller what the speaker plays
// (interleaved, at 48 kHz), as it is played. Without it the canceller has
// nothing to cancel; a Capture whose microphone is not processed ignores it.
func (c *Capture) PlayedOut(pcm []int16, channels int) {
	if c.processing != nil && channels > 0 {
		c.processing.playedOut(pcm, channels)
	}
}

// AudioProcessed reports whether the microphone's audio goes through the
// audio processing module.
func (c *Capture) AudioProcessed() bool { return c.processing != nil && !c.processing.skipped.Load() }

// StreamID is the media stream both of the Capture's tracks belong to.
func (c *Capture) StreamID() string { return c.streamID }

// VideoTrack returns the video track, or nil when no camera is open.
// After SwitchCamera it is the new camera's.
func (c *Capture) VideoTrack() mediadevices.Track {
	t, _ := c.camera.current()
	if t == nil {
		return nil
	}
	return &streamTrack{Track: t, streamID: c.streamID}
}

// AudioTrack returns the audio track, or nil when the Capture has no audio.
func (c *Capture) AudioTrack() mediadevices.Track { return c.audio }

// Tracks returns the open tracks, video first. Each implements
// webrtc.TrackLocal: pass it to PeerConnection.AddTrack.
func (c *Capture) Tracks() []mediadevices.Track {
	var ts []mediadevices.Track
	if v := c.VideoTrack(); v != nil {
		ts = append(ts, v)
	}
	if c.audio != nil {
		ts = append(ts, c.audio)
	}
	return ts
}

// Warnings returns why requested media could not be opened (each a
// *DeviceError), or nil when everything requested is open.
func (c *Capture) Warnings() []error {
	return append([]error(nil), c.warnings...)
}

// NewVideoPreview returns a reader of the local (un-encoded) video for a
// self-view. Each call makes an independent reader that gets a private
// copy of each frame; Read blocks until the next frame (while no camera is
// open, until StartCamera) and fails after Close. A preview that stops
// reading holds nothing up.
func (c *Capture) NewVideoPreview() video.Reader {
	return c.camera.newReader(true)
}

// SetVideoEnabled turns the camera picture on or off without renegotiation:
// while off, the track keeps sending black frames. No-op without video.
func (c *Capture) SetVideoEnabled(on bool) {
	if c.videoOn.Swap(on) != on {
		c.log.Info("video enabled", "on", on)
	}
}

// SetAudioEnabled mutes or unmutes without renegotiation: while muted, the
// track keeps sending silence. No-op without audio.
func (c *Capture) SetAudioEnabled(on bool) {
	if c.audioOn.Swap(on) != on {
		c.log.Info("audio enabled", "on", on)
	}
}

// SetAudioBitrate changes the Opus target bitrate (MinOpusBitrate..
// MaxOpusBitrate bits/s) of the audio sent to every PeerConnection, from the
// next packet on and for PeerConnections added later. No-op without audio.
func (c *Capture) SetAudioBitrate(bps int) error {
	if c.audio == nil {
		return nil
	}
	if err := c.opus.SetBitRate(bps); err != nil {
		return fmt.Errorf("set audio bitrate: %w", err)
	}
	c.log.Debug("audio bitrate", "bps", bps)
	return nil
}

// SetAudioPacketLoss tells the Opus encoder how much packet loss (0..100 %)
// the receiver reports. Above 0, and when the bitrate leaves room for it
// (libopus 1.3 at 48 kHz: from about 24 kbit/s), each packet also carries a
// low-rate copy of the previous one, which the receiver's
// OpusDecoder.DecodeFEC recovers when that one is lost. No-op without audio.
func (c *Capture) SetAudioPacketLoss(pct int) error {
	if c.audio == nil {
		return nil
	}
	if err := c.opus.SetPacketLossPercent(pct); err != nil {
		return fmt.Errorf("set audio packet loss: %w", err)
	}
	c.log.Debug("audio packet loss", "percent", pct)
	return nil
}

// VideoEnabled reports the state set by SetVideoEnabled (true initially).
func (c *Capture) VideoEnabled() bool { return c.videoOn.Load() }

// AudioEnabled reports the state set by SetAudioEnabled (true initially).
func (c *Capture) AudioEnabled() bool { return c.audioOn.Load() }

// Close stops the tracks and releases the devices. It is idempotent and
// returns the first close error.
//
// Close every PeerConnection these tracks were added to BEFORE calling Close:
// closing a mediadevices track that is still bound to a live PeerConnection
// and then closing the PeerConnection deadlocks in baseTrack.unbind.
func (c *Capture) Close() error {
	c.closeOnce.Do(func() {
		var errs []error
		// The camera now, after any switch.
		if t := c.camera.close(); t != nil {
			if err := closeTrack(t); err != nil {
				errs = append(errs, fmt.Errorf("close video track: %w", err))
			}
		}
		if c.audio != nil {
			// Not under driverMu: the track's source, the microphone slot,
			// takes it to close the device.
			if err := c.audio.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close audio track: %w", err))
			}
		}
		if c.processing != nil {
			c.processing.close()
		}
		c.closeErr = errors.Join(errs...)
		c.log.Info("capture closed")
	})
	return c.closeErr
}
