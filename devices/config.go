package devices

import (
	"fmt"
	"log/slog"
)

// Capture defaults.
const (
	DefaultWidth        = 640
	DefaultHeight       = 480
	DefaultFPS          = 30
	DefaultVideoBitrate = 2_000_000 // bits/s, at most; the bandwidth estimate decides below it
	HDVideoBitrate      = 2_500_000 // the default above 640x480
	DefaultAudioBitrate = 32_000    // bits/s
	DefaultToneHz       = 440
)

// CaptureConfig says what Open should capture and how to encode it. The zero
// value of each numeric field means "default".
type CaptureConfig struct {
	// CameraID and MicrophoneID come from List; empty means the default
	// device. SyntheticCameraID, SyntheticSceneCameraID and
	// SyntheticMicrophoneID pick a synthetic source for that one kind.
	CameraID     string
	MicrophoneID string

	// Width×Height at FPS is what is asked of the camera (the closest mode it
	// offers wins; ask 1280×720 for HD where the camera has it) and exactly
	// what the synthetic camera produces. Default 640×480 at 30 fps.
	Width, Height, FPS int

	// VideoFile and AudioFile, when set, replace the camera and the
	// microphone with a looping .y4m and .wav file (see Y4MSource and
	// WAVSource), whatever CameraID, MicrophoneID and Synthetic say. The
	// video file sets its own size and frame rate.
	VideoFile, AudioFile string

	// Synthetic replaces both devices with the test pattern and the tone.
	Synthetic bool
	// ToneHz is the synthetic tone's frequency, default 440 Hz.
	ToneHz float64

	// Video and Audio say which media to capture; at least one must be set.
	Video, Audio bool

	// VideoBitrate is the most the VP8 encoder may use, in bits/s (default
	// 2 Mbit/s, 2.5 above 640x480): a call's bandwidth estimate sets the
	// target below it. AudioBitrate is the Opus target (default 32 kbit/s).
	VideoBitrate, AudioBitrate int

	// Processing is what is done to the microphone's audio; see
	// AudioProcessing for what the zero value does.
	Processing AudioProcessing

	// Logger receives device events; nil discards them.
	Logger *slog.Logger
}

// processing is what the microphone gets: Processing as set, or by default
// everything for a real microphone and nothing for the synthetic and file
// sources. Call on a config with defaults applied.
func (c CaptureConfig) processing() AudioProcessing {
	if c.Processing.Set {
		return c.Processing
	}
	if c.AudioFile != "" || c.MicrophoneID == SyntheticMicrophoneID {
		return AudioProcessing{}
	}
	return AudioProcessing{Set: true, EchoCancel: true, NoiseSuppress: true, GainControl: true}
}

func (c CaptureConfig) withDefaults() CaptureConfig {
	if c.Width == 0 && c.Height == 0 {
		c.Width, c.Height = DefaultWidth, DefaultHeight
	}
	if c.FPS == 0 {
		c.FPS = DefaultFPS
	}
	if c.VideoBitrate == 0 {
		c.VideoBitrate = DefaultVideoBitrate
		if c.Width*c.Height > DefaultWidth*DefaultHeight {
			c.VideoBitrate = HDVideoBitrate
		}
	}
	if c.AudioBitrate == 0 {
		c.AudioBitrate = DefaultAudioBitrate
	}
	if c.ToneHz == 0 {
		c.ToneHz = DefaultToneHz
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Synthetic {
		c.CameraID, c.MicrophoneID = SyntheticCameraID, SyntheticMicrophoneID
	}
	return c
}

func (c CaptureConfig) validate() error {
	switch {
	case !c.Video && !c.Audio:
		return ErrNothingRequested
	case c.Width <= 0 || c.Height <= 0 || c.Width > 4096 || c.Height > 4096:
		return fmt.Errorf("%w: size %dx%d", ErrInvalidConfig, c.Width, c.Height)
	case c.FPS < 1 || c.FPS > 120:
		return fmt.Errorf("%w: %d fps", ErrInvalidConfig, c.FPS)
	case c.VideoBitrate < 10_000 || c.AudioBitrate < 6_000 || c.AudioBitrate > 510_000:
		return fmt.Errorf("%w: bitrates video %d audio %d", ErrInvalidConfig, c.VideoBitrate, c.AudioBitrate)
	}
	return nil
}
