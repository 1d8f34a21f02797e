package devices

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/webrtc/v4"
)

// Encoder is the microphone of a Capture, encoded: Opus packets with their
// durations (VideoEncoder is the camera's). The sender packetizes them itself, with the
// payload type and SSRC the call negotiated; mediadevices' own packetizer
// stamps fixed payload types whatever the peer offered.
//
// Read must not be called concurrently with itself; ForceKeyFrame and
// SetBitRate are safe from any goroutine and never block: they take effect
// at the next Read. Whoever opened the Encoder must Close it, best from the
// goroutine that reads once Read has failed: mediadevices' encoders hold a
// lock while they wait for the source, so Close waits for the next frame or
// for the Capture to close.
type Encoder struct {
	kind      Kind
	reader    mediadevices.EncodedReadCloser
	clockRate int

	keyFrame atomic.Bool
	bitrate  atomic.Int64 // requested, not yet applied; 0 = none
	loss     atomic.Int64 // expected packet loss in percent, plus one; 0 = unchanged

	closeOnce sync.Once
	closeErr  error
}

// NewAudioEncoder starts an Opus encoder on the microphone, or fails with
// ErrNothingRequested when the Capture has no audio.
func (c *Capture) NewAudioEncoder() (*Encoder, error) {
	if c.audio == nil {
		return nil, fmt.Errorf("audio encoder: %w", ErrNothingRequested)
	}
	return newEncoder(c.audio, KindMicrophone, webrtc.MimeTypeOpus, 48000)
}

func newEncoder(t mediadevices.Track, kind Kind, mime string, clockRate int) (*Encoder, error) {
	r, err := t.NewEncodedReader(mime)
	if err != nil {
		return nil, deviceError("encode", kind, t.ID(), ErrDeviceFailed, err)
	}
	return &Encoder{kind: kind, reader: r, clockRate: clockRate}, nil
}

// Read returns the next encoded frame and how long it lasts. It blocks
// until the source delivers; it fails once the Capture or the Encoder is
// closed.
func (e *Encoder) Read() ([]byte, time.Duration, error) {
	// Applied here, not by the callers: the encoder's controls take the
	// lock its Read holds while it waits for the source.
	ctl := e.reader.Controller()
	if bps := e.bitrate.Swap(0); bps > 0 {
		if b, ok := ctl.(codec.BitRateController); ok {
			_ = b.SetBitRate(int(bps)) // only records the target
		}
	}
	if pct := e.loss.Swap(0); pct > 0 {
		if l, ok := ctl.(PacketLossController); ok {
			_ = l.SetPacketLossPercent(int(pct - 1)) // 0..100 by construction
		}
	}
	if e.keyFrame.Swap(false) {
		if k, ok := ctl.(codec.KeyFrameController); ok {
			_ = k.ForceKeyFrame() // only sets a flag
		}
	}
	buf, release, err := e.reader.Read()
	if err != nil {
		return nil, 0, fmt.Errorf("read %s encoder: %w", e.kind, err)
	}
	// The encoders hand out a fresh slice per frame; release only returns
	// the source's buffer.
	release()
	return buf.Data, time.Duration(buf.Samples) * time.Second / time.Duration(e.clockRate), nil
}

// ForceKeyFrame makes the next frame a key frame. No-op for audio.
func (e *Encoder) ForceKeyFrame() { e.keyFrame.Store(true) }

// SetBitRate changes the encoder's target, in bits per second, from the
// next frame on.
func (e *Encoder) SetBitRate(bps int) {
	if bps > 0 {
		e.bitrate.Store(int64(bps))
	}
}

// SetPacketLoss tells the encoder how much loss (0..100 %) the receiver
// reports; Opus then protects each packet with in-band FEC.
func (e *Encoder) SetPacketLoss(pct int) {
	e.loss.Store(int64(min(max(pct, 0), 100)) + 1)
}

// Close stops the encoder and frees it. It is idempotent.
func (e *Encoder) Close() error {
	e.closeOnce.Do(func() { e.closeErr = e.reader.Close() })
	return e.closeErr
}
