package devices

import (
	"fmt"
	"sync"

	"github.com/pion/opus"
)

// OpusDecoder decodes Opus packets to 16-bit PCM with pion/opus (pure Go).
// pion/opus decodes SILK, hybrid and CELT packets, mono and stereo, at any
// Opus output rate; it has no packet-loss concealment, so a lost packet is
// simply a gap (the playback buffer plays silence).
//
// All methods are safe for concurrent use; calls are serialised.
type OpusDecoder struct {
	mu         sync.Mutex
	dec        opus.Decoder // guarded by mu
	sampleRate int
	channels   int
}

// NewOpusDecoder returns a decoder producing sampleRate (8000, 12000, 16000,
// 24000 or 48000) PCM with 1 or 2 interleaved channels.
func NewOpusDecoder(sampleRate, channels int) (*OpusDecoder, error) {
	dec, err := opus.NewDecoderWithOutput(sampleRate, channels)
	if err != nil {
		return nil, fmt.Errorf("new opus decoder %d Hz %d ch: %w: %v", sampleRate, channels, ErrInvalidConfig, err)
	}
	return &OpusDecoder{dec: dec, sampleRate: sampleRate, channels: channels}, nil
}

// MaxSamples is the pcm length that holds the longest Opus packet (120 ms)
// at this decoder's rate and channel count.
func (d *OpusDecoder) MaxSamples() int { return d.sampleRate * 120 / 1000 * d.channels }

// SampleRate returns the output rate.
func (d *OpusDecoder) SampleRate() int { return d.sampleRate }

// Channels returns the output channel count.
func (d *OpusDecoder) Channels() int { return d.channels }

// Decode decodes one packet into pcm (interleaved) and returns the number of
// samples per channel written. pcm should be MaxSamples long. Errors match
// ErrEmptyFrame or ErrDecode; the decoder stays usable after either.
func (d *OpusDecoder) Decode(packet []byte, pcm []int16) (n int, err error) {
	if len(packet) == 0 {
		return 0, fmt.Errorf("opus decode: %w", ErrEmptyFrame)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	defer func() {
		// pion/opus is young and parses untrusted network input; a bug in it
		// must cost one packet, not the process.
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("opus decode %d bytes: %w: decoder panic: %v", len(packet), ErrDecode, r)
			_ = d.dec.Init(d.sampleRate, d.channels)
		}
	}()
	n, err = d.dec.DecodeToInt16(packet, pcm)
	if err != nil {
		return 0, fmt.Errorf("opus decode %d bytes: %w: %v", len(packet), ErrDecode, err)
	}
	return n, nil
}
