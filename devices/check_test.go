package devices

import (
	"errors"
	"math"
	"testing"
	"time"

	"duet/internal/pulsetest"
)

// The level meter reads the tone at its level, and silence when muted.
func TestLevelMeter(t *testing.T) {
	checkGoroutines(t)
	c := openSynthetic(t, CaptureConfig{Audio: true, ToneHz: 440})
	m, err := c.NewLevelMeter()
	if err != nil {
		t.Fatal(err)
	}
	// The tone's RMS is its amplitude over √2: about -15 dBFS.
	want := 20 * math.Log10(ToneAmplitude/math.Sqrt2)
	level := func() float64 {
		t.Helper()
		l, err := m.Read()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	deadline := time.Now().Add(5 * time.Second)
	for l := level(); math.Abs(l-want) > 1; l = level() {
		if time.Now().After(deadline) {
			t.Fatalf("level %.1f dBFS, want %.1f", l, want)
		}
	}
	c.SetAudioEnabled(false)
	for l := level(); l > -90; l = level() {
		if time.Now().After(deadline) {
			t.Fatalf("muted: level %.1f dBFS", l)
		}
	}
	if _, err := openSynthetic(t, CaptureConfig{Video: true}).NewLevelMeter(); !errors.Is(err, ErrNothingRequested) {
		t.Errorf("a level meter without a microphone: %v", err)
	}
}

// The test sound reaches the speaker: its notes are heard on the sink's
// monitor.
func TestPulseTestSound(t *testing.T) {
	checkGoroutines(t)
	pulsetest.Start(t, sinkA)
	speaker, mic := pulseDevices(t, sinkA)
	c, err := Open(testContext(t, 10*time.Second), CaptureConfig{MicrophoneID: mic.ID, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m, err := c.NewLevelMeter()
	if err != nil {
		t.Fatal(err)
	}
	loudest := make(chan float64, 1)
	go func() {
		peak := math.Inf(-1)
		for range int(2 * TestSoundLength / (20 * time.Millisecond)) {
			l, err := m.Read()
			if err != nil {
				break
			}
			peak = max(peak, l)
		}
		loudest <- peak
	}()
	if err := PlayTestSound(speaker.ID); err != nil {
		t.Fatal(err)
	}
	if peak := <-loudest; peak < -25 {
		t.Fatalf("the test sound peaked at %.1f dBFS on the monitor", peak)
	}
	if err := PlayTestSound("no-such-speaker"); !errors.Is(err, ErrNoSpeaker) {
		t.Errorf("a test sound on a missing speaker: %v", err)
	}
}
