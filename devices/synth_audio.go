package devices

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/wave"
)

// ToneAmplitude is the peak level of a Tone relative to full scale (−12 dBFS):
// loud enough to measure, quiet enough not to clip through Opus.
const ToneAmplitude = 0.25

// toneChunk is the synthetic microphone's period; it matches Opus' 20 ms frame.
const toneChunk = 20 * time.Millisecond

// Tone is a synthetic microphone: a continuous sine wave of a fixed frequency,
// delivered as 16-bit PCM in 20 ms chunks in real time.
//
// Tone implements mediadevices.AudioSource. Read must not be called
// concurrently with itself; Close may be called from any goroutine, more
// than once, and makes a pending Read return io.EOF.
type Tone struct {
	id         string
	freq       float64
	sampleRate int
	channels   int
	pacer      *pacer

	mu    sync.Mutex
	phase float64 // radians, guarded by mu
}

var _ audio.Reader = (*Tone)(nil)

// NewTone returns a sine of freqHz at sampleRate (8000..48000) with 1 or 2
// identical channels. freqHz must be below the Nyquist frequency.
func NewTone(freqHz float64, sampleRate, channels int) (*Tone, error) {
	switch {
	case sampleRate < 8000 || sampleRate > 48000:
		return nil, fmt.Errorf("tone sample rate %d: %w: want 8000..48000", sampleRate, ErrInvalidConfig)
	case channels != 1 && channels != 2:
		return nil, fmt.Errorf("tone channels %d: %w: want 1 or 2", channels, ErrInvalidConfig)
	case !(freqHz > 0 && freqHz < float64(sampleRate)/2):
		return nil, fmt.Errorf("tone frequency %g Hz: %w: want 0..%d", freqHz, ErrInvalidConfig, sampleRate/2)
	}
	return &Tone{
		id:         fmt.Sprintf("duet-tone-%d", syntheticSeq.Add(1)),
		freq:       freqHz,
		sampleRate: sampleRate,
		channels:   channels,
		// Audio may catch up a little (the encoder buffers), but not replay a long stall.
		pacer: newPacer(toneChunk, 200*time.Millisecond),
	}, nil
}

// ID identifies the source; mediadevices uses it as the track ID.
func (t *Tone) ID() string { return t.id }

// Close stops the tone. It always returns nil.
func (t *Tone) Close() error {
	t.pacer.close()
	return nil
}

// Read waits for the next 20 ms period and returns it.
func (t *Tone) Read() (wave.Audio, func(), error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := t.pacer.wait(); err != nil {
		return nil, func() {}, err
	}
	return t.next(), func() {}, nil
}

// next renders one chunk and advances the phase.
func (t *Tone) next() *wave.Int16Interleaved {
	n := int(int64(t.sampleRate) * int64(toneChunk) / int64(time.Second))
	chunk := wave.NewInt16Interleaved(wave.ChunkInfo{Len: n, Channels: t.channels, SamplingRate: t.sampleRate})
	step := 2 * math.Pi * t.freq / float64(t.sampleRate)
	for i := range n {
		v := int16(math.Round(ToneAmplitude * 32767 * math.Sin(t.phase)))
		for ch := range t.channels {
			chunk.Data[i*t.channels+ch] = v
		}
		t.phase += step
		if t.phase >= 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
	return chunk
}
