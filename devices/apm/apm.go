// Package apm is the WebRTC audio processing module (the engine of
// PulseAudio's and PipeWire's echo-cancel modules) for a call's
// microphone: echo cancellation against the audio played out, noise
// suppression, automatic gain control and a high-pass filter.
//
// The module is C++; apm.cpp gives it a small C face, and a Processor owns
// the one C object behind it.
package apm

/*
#cgo pkg-config: webrtc-audio-processing
#cgo CXXFLAGS: -std=c++11
#include "apm.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"
)

// Config picks what a Processor does to the microphone.
type Config struct {
	// SampleRate is 8000, 16000, 32000 or 48000; audio is mono.
	SampleRate    int
	EchoCancel    bool
	NoiseSuppress bool
	GainControl   bool
	HighPass      bool
}

// ErrClosed is returned by a Processor used after Close.
var ErrClosed = errors.New("audio processing closed")

// Processor processes 10 ms frames. The playback side calls Render with
// what it plays, the capture side Capture with what the microphone heard;
// they may run on different goroutines.
type Processor struct {
	frame int // samples in 10 ms

	mu sync.Mutex
	c  *C.duet_apm // guarded by mu; nil once closed
}

// New makes a Processor; it fails when the module rejects the
// configuration.
func New(cfg Config) (*Processor, error) {
	switch cfg.SampleRate {
	case 8000, 16000, 32000, 48000:
	default:
		return nil, fmt.Errorf("audio processing at %d Hz: want 8, 16, 32 or 48 kHz", cfg.SampleRate)
	}
	c := C.duet_apm_new(C.int(cfg.SampleRate), cbool(cfg.EchoCancel), cbool(cfg.NoiseSuppress),
		cbool(cfg.GainControl), cbool(cfg.HighPass))
	if c == nil {
		return nil, errors.New("the audio processing module refused its configuration")
	}
	return &Processor{frame: cfg.SampleRate / 100, c: c}, nil
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// FrameSamples is the length of the 10 ms frames Render and Capture take.
func (p *Processor) FrameSamples() int { return p.frame }

// Render gives the far end's audio as it is played: the reference the
// echo canceller removes from the microphone.
func (p *Processor) Render(frame []int16) error {
	return p.process("render", frame, func(c *C.duet_apm, pcm *C.short) C.int { return C.duet_apm_render(c, pcm) })
}

// Capture processes a microphone frame in place. delay is the time from
// playing a sound to hearing it back, as far as the caller knows it; the
// canceller finds the true delay from the signals itself.
func (p *Processor) Capture(frame []int16, delay time.Duration) error {
	return p.process("capture", frame, func(c *C.duet_apm, pcm *C.short) C.int {
		return C.duet_apm_capture(c, pcm, C.int(delay/time.Millisecond))
	})
}

// process hands one 10 ms frame to the module under the lock that keeps
// it from being freed meanwhile.
func (p *Processor) process(what string, frame []int16, call func(*C.duet_apm, *C.short) C.int) error {
	if len(frame) != p.frame {
		return fmt.Errorf("%s frame of %d samples, want %d", what, len(frame), p.frame)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c == nil {
		return ErrClosed
	}
	if rc := call(p.c, (*C.short)(unsafe.Pointer(&frame[0]))); rc != 0 {
		return fmt.Errorf("audio processing: %s failed (%d)", what, int(rc))
	}
	return nil
}

// HasEcho reports whether the last captured frame may have held echo.
func (p *Processor) HasEcho() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.c != nil && C.duet_apm_has_echo(p.c) != 0
}

// Close frees the module; it is safe to call more than once.
func (p *Processor) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c != nil {
		C.duet_apm_free(p.c)
		p.c = nil
	}
	return nil
}
