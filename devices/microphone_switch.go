package devices

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/wave"
)

// micSlot is the source of a Capture's audio track: the microphone now.
// The track, its processing and its encoders stay; SwitchMicrophone puts
// another device under them, which they read from their next chunk on.
//
// Read is called by the track's one reading goroutine; the rest is safe
// for concurrent use.
type micSlot struct {
	trackID string
	// lost replaces a microphone that went away (ErrDeviceLost) through
	// replace, or says why it could not.
	lost func() error

	mu     sync.Mutex
	device *mediadevices.AudioTrack // guarded by mu
	id     string                   // guarded by mu: what was asked for
	gen    uint64                   // guarded by mu: switches so far
	closed bool                     // guarded by mu

	// Owned by the reading goroutine.
	r    audio.Reader
	rgen uint64
}

func newMicSlot(device *mediadevices.AudioTrack, id string, lost func() error) *micSlot {
	return &micSlot{trackID: device.ID(), device: device, id: id, lost: lost, r: device.NewReader(false)}
}

func (m *micSlot) current() (*mediadevices.AudioTrack, uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.device, m.gen
}

// Read reads the microphone now: after a switch the old device's reader
// fails once it closes, and the next chunk comes from the new one. A
// microphone that went away is replaced by the default one first.
func (m *micSlot) Read() (wave.Audio, func(), error) {
	for {
		chunk, release, err := m.r.Read()
		if err == nil {
			return chunk, release, nil
		}
		device, gen := m.current()
		if gen == m.rgen {
			if !errors.Is(err, ErrDeviceLost) || m.lost == nil {
				return nil, nil, err
			}
			if lerr := m.lost(); lerr != nil {
				return nil, nil, errors.Join(err, lerr)
			}
			device, gen = m.current()
		}
		m.r, m.rgen = device.NewReader(false), gen
	}
}

func (m *micSlot) ID() string { return m.trackID }

// Close releases the microphone now; the slot takes no other.
func (m *micSlot) Close() error {
	m.mu.Lock()
	m.closed = true
	device := m.device
	m.mu.Unlock()
	return closeTrack(device)
}

// replace puts device under the track and returns the one it replaces;
// false after Close (device is then the caller's to close).
func (m *micSlot) replace(device *mediadevices.AudioTrack, id string) (*mediadevices.AudioTrack, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, false
	}
	old := m.device
	m.device, m.id = device, id
	m.gen++
	return old, true
}

// SwitchMicrophone replaces the microphone with microphoneID (a device ID,
// or SyntheticMicrophoneID) without renegotiation: the audio track, its
// processing and its encoder go on, reading the new device from their next
// chunk. The old microphone is released once the new one is open; if the
// new one cannot be opened the old one stays and the error says why. It
// fails with ErrNothingRequested when the Capture has no audio.
func (c *Capture) SwitchMicrophone(ctx context.Context, microphoneID string) error {
	if c.mic == nil {
		return fmt.Errorf("switch microphone: %w", ErrNothingRequested)
	}
	cfg := c.cfg
	cfg.MicrophoneID, cfg.AudioFile = microphoneID, ""
	device, err := openAudio(ctx, cfg, c.selector)
	if err != nil {
		return fmt.Errorf("switch microphone: %w", err)
	}
	return c.putMicrophone(device, microphoneID)
}

func (c *Capture) putMicrophone(device *mediadevices.AudioTrack, id string) error {
	old, ok := c.mic.replace(device, id)
	if !ok {
		closeTrack(device)
		return fmt.Errorf("switch microphone: %w", ErrClosed)
	}
	if err := closeTrack(old); err != nil && !errors.Is(err, ErrClosed) {
		c.log.Warn("closing the previous microphone", "err", err)
	}
	c.log.Info("microphone switched", "microphone", id)
	return nil
}

// MicrophoneID is the microphone in use: as opened, or as last switched to.
func (c *Capture) MicrophoneID() string {
	if c.mic == nil {
		return ""
	}
	c.mic.mu.Lock()
	defer c.mic.mu.Unlock()
	return c.mic.id
}
