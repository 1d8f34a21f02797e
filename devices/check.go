package devices

import (
	"fmt"
	"math"
	"time"

	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/wave"
)

// LevelMeter reads how loud the microphone of a Capture is, for a level
// meter in Settings: what the call would send, after processing and mute.
//
// Read must not be called concurrently with itself; it fails once the
// Capture closes.
type LevelMeter struct {
	r audio.Reader
}

// NewLevelMeter starts a level meter on the microphone, or fails with
// ErrNothingRequested when the Capture has no audio.
func (c *Capture) NewLevelMeter() (*LevelMeter, error) {
	if c.audioTrack == nil {
		return nil, fmt.Errorf("level meter: %w", ErrNothingRequested)
	}
	return &LevelMeter{r: c.audioTrack.NewReader(true)}, nil
}

// Read waits for the next chunk of sound (20 ms) and returns its level in
// dBFS: 0 at full scale, -inf in digital silence.
func (m *LevelMeter) Read() (float64, error) {
	chunk, release, err := m.r.Read()
	if err != nil {
		return 0, fmt.Errorf("read level: %w", err)
	}
	defer release()
	return levelDBFS(chunk), nil
}

// levelDBFS is a chunk's RMS level relative to full scale.
func levelDBFS(chunk wave.Audio) float64 {
	info := chunk.ChunkInfo()
	n := info.Len * info.Channels
	if n == 0 {
		return math.Inf(-1)
	}
	var sum float64
	for i := range info.Len {
		for ch := range info.Channels {
			s := wave.Int16SampleFormat.Convert(chunk.At(i, ch)).(wave.Int16Sample)
			v := float64(s) / 32768
			sum += v * v
		}
	}
	return 10 * math.Log10(sum/float64(n))
}

// TestSoundLength is how long PlayTestSound plays.
const TestSoundLength = time.Second

// PlayTestSound plays a short chime (two notes at the synthetic tone's
// level) on speakerID ("" for the system default) and returns once it has
// played, or fails with ErrNoSpeaker when the speaker cannot be opened.
func PlayTestSound(speakerID string) error {
	const rate = 48000
	total := int(TestSoundLength * rate / time.Second)
	played := 0
	var phase float64
	done := make(chan struct{})
	pb, err := OpenPlaybackFrom(speakerID, rate, 1, func(out []int16) {
		for i := range out {
			freq := 660.0
			if played >= total/2 {
				freq = 880
			}
			var v float64
			if played < total {
				// A fade in and out, so the notes do not click.
				fade := min(1, float64(played%(total/2))/480, float64(total/2-played%(total/2))/480)
				v = ToneAmplitude * fade * math.Sin(phase)
			}
			out[i] = int16(math.Round(v * 32767))
			phase = math.Mod(phase+2*math.Pi*freq/rate, 2*math.Pi)
			played++
			if played == total+rate/10 { // and a tenth of silence, for the last samples to leave
				close(done)
			}
		}
	}, nil)
	if err != nil {
		return fmt.Errorf("play test sound: %w", err)
	}
	select {
	case <-done:
	case <-time.After(3 * TestSoundLength):
		// A speaker that stalls: the chime is cut short, not waited for.
	}
	return pb.Close()
}
