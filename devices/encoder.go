package devices

import (
	"fmt"
	"sync"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/webrtc/v4"
)

// Encoder is the microphone of a Capture, encoded: Opus packets with their
// durations (VideoEncoder is the camera's). The sender packetizes them
// itself, with the payload type and SSRC the call negotiated;
// mediadevices' own packetizer stamps fixed payload types whatever the peer
// offered.
//
// Read must not be called concurrently with itself; SetBitRate and
// SetPacketLoss are safe from any goroutine. Whoever opened the Encoder
// must Close it, best from the goroutine that reads once Read has failed:
// Close waits for a Read in progress, which ends when the Capture closes.
type Encoder struct {
	capture *Capture
	reader  mediadevices.EncodedReadCloser

	closeOnce sync.Once
	closeErr  error
}

// opusClockRate is Opus' RTP clock, whatever the audio's rate.
const opusClockRate = 48000

// NewAudioEncoder starts an Opus encoder on the microphone, or fails with
// ErrNothingRequested when the Capture has no audio.
func (c *Capture) NewAudioEncoder() (*Encoder, error) {
	if c.audio == nil {
		return nil, fmt.Errorf("audio encoder: %w", ErrNothingRequested)
	}
	r, err := c.audio.NewEncodedReader(webrtc.MimeTypeOpus)
	if err != nil {
		return nil, deviceError("encode", KindMicrophone, c.audio.ID(), ErrDeviceFailed, err)
	}
	return &Encoder{capture: c, reader: r}, nil
}

// Read returns the next encoded packet and how long it lasts. It blocks
// until the source delivers; it fails once the Capture or the Encoder is
// closed.
func (e *Encoder) Read() ([]byte, time.Duration, error) {
	buf, release, err := e.reader.Read()
	if err != nil {
		return nil, 0, fmt.Errorf("read %s encoder: %w", KindMicrophone, err)
	}
	// The encoder hands out a fresh slice per packet; release only returns
	// the source's buffer.
	release()
	return buf.Data, time.Duration(buf.Samples) * time.Second / opusClockRate, nil
}

// ForceKeyFrame does nothing: Opus has no key frames.
func (e *Encoder) ForceKeyFrame() {}

// SetBitRate changes the Opus target, in bits per second (see
// Capture.SetAudioBitrate); a rate out of range is ignored.
func (e *Encoder) SetBitRate(bps int) { _ = e.capture.SetAudioBitrate(bps) }

// SetPacketLoss tells the encoder how much loss (clamped to 0..100 %) the
// receiver reports; Opus then protects each packet with in-band FEC (see
// Capture.SetAudioPacketLoss).
func (e *Encoder) SetPacketLoss(pct int) { _ = e.capture.SetAudioPacketLoss(min(max(pct, 0), 100)) }

// Close stops the encoder and frees it. It is idempotent.
func (e *Encoder) Close() error {
	e.closeOnce.Do(func() { e.closeErr = e.reader.Close() })
	return e.closeErr
}
