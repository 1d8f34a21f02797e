package devices

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/webrtc/v4"
)

// A microphone switch puts another device under the track in use: its
// encoder goes on and now carries the new device's sound (here a tone of
// another pitch); a microphone that cannot be opened leaves the old one.
func TestCaptureSwitchMicrophone(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t, 20*time.Second)
	c := openSynthetic(t, CaptureConfig{Audio: true, ToneHz: 440})
	enc := newEncodedReader(t, c.AudioTrack(), webrtc.MimeTypeOpus)
	dec := newTestDecoder(t)
	pcm := make([]int16, dec.MaxSamples())
	pitch := func(packets int) float64 { t.Helper(); return decodeTone(ctx, t, enc, dec, pcm, packets).Frequency }
	pitch(3)
	if f := pitch(10); math.Abs(f-440) > 5 {
		t.Fatalf("%.1f Hz before the switch", f)
	}

	// Another microphone: a 1 kHz tone.
	tone, err := NewTone(1000, 48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	device, err := asAudioTrack(mediadevices.NewAudioTrack(tone, c.selector))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.putMicrophone(device, "second"); err != nil {
		t.Fatal(err)
	}
	pitch(5) // what the encoder held
	if f := pitch(10); math.Abs(f-1000) > 5 {
		t.Errorf("%.1f Hz after switching to a 1 kHz microphone", f)
	}
	if got := c.MicrophoneID(); got != "second" {
		t.Errorf("microphone %q after the switch", got)
	}

	err = c.SwitchMicrophone(ctx, "no-such-microphone")
	if !errors.Is(err, ErrNoMicrophone) {
		t.Errorf("switching to a missing microphone: %v, want ErrNoMicrophone", err)
	}
	if f := pitch(10); math.Abs(f-1000) > 5 || c.MicrophoneID() != "second" {
		t.Errorf("after a failed switch: %.1f Hz from %q", f, c.MicrophoneID())
	}
	// A synthetic microphone by its ID.
	if err := c.SwitchMicrophone(ctx, SyntheticMicrophoneID); err != nil {
		t.Fatal(err)
	}
	pitch(5)
	if f := pitch(10); math.Abs(f-440) > 5 {
		t.Errorf("%.1f Hz after switching back to the synthetic tone", f)
	}
}
