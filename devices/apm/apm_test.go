package apm_test

import (
	"errors"
	"testing"

	"duet/devices/apm"
)

func TestProcessorContract(t *testing.T) {
	if _, err := apm.New(apm.Config{SampleRate: 44100, EchoCancel: true}); err == nil {
		t.Fatal("44.1 kHz accepted: the module takes 8, 16, 32 or 48 kHz")
	}
	p, err := apm.New(apm.Config{SampleRate: 16000, EchoCancel: true, NoiseSuppress: true, GainControl: true, HighPass: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.FrameSamples() != 160 {
		t.Fatalf("10 ms at 16 kHz is %d samples, want 160", p.FrameSamples())
	}
	if err := p.Capture(make([]int16, 100), 0); err == nil {
		t.Fatal("a short capture frame was accepted")
	}
	if err := p.Render(make([]int16, 480)); err == nil {
		t.Fatal("a long render frame was accepted")
	}
	frame := make([]int16, 160)
	if err := p.Render(frame); err != nil {
		t.Fatal(err)
	}
	if err := p.Capture(frame, 0); err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Close()
	if err := p.Capture(frame, 0); !errors.Is(err, apm.ErrClosed) {
		t.Fatalf("capture after close: %v, want ErrClosed", err)
	}
	if p.HasEcho() {
		t.Fatal("a closed processor reports echo")
	}
}
