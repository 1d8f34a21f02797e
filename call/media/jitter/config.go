package jitter

import (
	"fmt"
	"time"
)

// Defaults and limits of a Config.
const (
	DefaultMaxDelay   = 400 * time.Millisecond
	DefaultMaxPackets = 100                    // 2 s of 20 ms packets
	DefaultMaxFrame   = 120 * time.Millisecond // Opus's longest packet
	// DefaultMaxPayload: no RTP packet on a UDP path is larger.
	DefaultMaxPayload = 1500
)

// Config describes a Buffer. Zero fields take the defaults above.
type Config struct {
	// SampleRate is the PCM rate in Hz, 8000 to 192000. It is also the
	// RTP clock rate: Opus's RTP clock is always 48 kHz, and Duet decodes
	// at 48 kHz. Required.
	SampleRate int
	// Decoder decodes the packets. Required.
	Decoder Decoder
	// MaxDelay caps the target delay, 20 ms to 2 s.
	MaxDelay time.Duration
	// MaxPackets is the most packets held, 2 to 1000; when one more
	// arrives the oldest is dropped.
	MaxPackets int
	// MaxFrame is the longest audio one packet may decode to, 2.5 ms to
	// 120 ms.
	MaxFrame time.Duration
	// MaxPayload is the largest payload kept, in bytes, up to 65536;
	// larger ones are dropped and counted as invalid. The buffer sets
	// aside MaxPackets × MaxPayload bytes.
	MaxPayload int
}

// withDefaults fills the zero fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	if c.MaxDelay == 0 {
		c.MaxDelay = DefaultMaxDelay
	}
	if c.MaxPackets == 0 {
		c.MaxPackets = DefaultMaxPackets
	}
	if c.MaxFrame == 0 {
		c.MaxFrame = DefaultMaxFrame
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	switch {
	case c.SampleRate < 8000 || c.SampleRate > 192000:
		return c, fmt.Errorf("jitter buffer: %w: sample rate %d Hz", ErrInvalidConfig, c.SampleRate)
	case c.Decoder == nil:
		return c, fmt.Errorf("jitter buffer: %w: no decoder", ErrInvalidConfig)
	case c.MaxDelay < 20*time.Millisecond || c.MaxDelay > 2*time.Second:
		return c, fmt.Errorf("jitter buffer: %w: max delay %v", ErrInvalidConfig, c.MaxDelay)
	case c.MaxPackets < 2 || c.MaxPackets > 1000:
		return c, fmt.Errorf("jitter buffer: %w: max packets %d", ErrInvalidConfig, c.MaxPackets)
	case c.MaxFrame < 2500*time.Microsecond || c.MaxFrame > 120*time.Millisecond:
		return c, fmt.Errorf("jitter buffer: %w: max frame %v", ErrInvalidConfig, c.MaxFrame)
	case c.MaxPayload < 1 || c.MaxPayload > 65536:
		return c, fmt.Errorf("jitter buffer: %w: max payload %d bytes", ErrInvalidConfig, c.MaxPayload)
	}
	return c, nil
}
