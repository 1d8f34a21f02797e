package devices

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/wave"

	"duet/devices/apm"
)

// AudioProcessing says what is done to the microphone's audio before it
// is encoded (see devices/apm). Unset, a real microphone gets everything
// (what a call on a laptop's own speaker and microphone needs) and the
// synthetic and file sources get nothing: they have no room, no echo and
// no noise, and tests measure them as they are.
type AudioProcessing struct {
	Set           bool // use the switches below whatever the source
	EchoCancel    bool
	NoiseSuppress bool
	GainControl   bool
}

func (p AudioProcessing) any() bool { return p.EchoCancel || p.NoiseSuppress || p.GainControl }

// processingRate is the rate the microphone is opened at and processed at.
const processingRate = 48000

// echoDelayHint is what the canceller is told of the time from playing a
// sound to hearing it back; it finds the true delay from the signals.
const echoDelayHint = 40 * time.Millisecond

// processor is a Capture's audio processing: the microphone side runs in
// the track's transform, the played-out side comes from the call's
// playback through PlayedOut.
type processor struct {
	apm     *apm.Processor
	skipped atomic.Bool // a chunk came at a rate the module was not made for

	mu     sync.Mutex
	played []int16 // guarded by mu: mono played out, short of a 10 ms frame
}

func newProcessor(p AudioProcessing) (*processor, error) {
	a, err := apm.New(apm.Config{SampleRate: processingRate, EchoCancel: p.EchoCancel,
		NoiseSuppress: p.NoiseSuppress, GainControl: p.GainControl, HighPass: true})
	if err != nil {
		return nil, err
	}
	return &processor{apm: a}, nil
}

// playedOut feeds the echo canceller's reference in 10 ms frames.
func (p *processor) playedOut(pcm []int16, channels int) {
	frame := p.apm.FrameSamples()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; i+channels <= len(pcm); i += channels {
		var sum int
		for ch := range channels {
			sum += int(pcm[i+ch])
		}
		p.played = append(p.played, int16(sum/channels))
		if len(p.played) == frame {
			// Closed means the call is over: nothing to cancel.
			_ = p.apm.Render(p.played)
			p.played = p.played[:0]
		}
	}
}

// transform processes the microphone's chunks in 10 ms frames; what is
// short of a frame waits for the next chunk. Chunks at another rate pass
// as they are.
func (p *processor) transform(r audio.Reader) audio.Reader {
	var pending []int16 // only the track's one reading goroutine uses it
	frame := p.apm.FrameSamples()
	return audio.ReaderFunc(func() (wave.Audio, func(), error) {
		for {
			chunk, release, err := r.Read()
			if err != nil {
				return chunk, release, err
			}
			if chunk.ChunkInfo().SamplingRate != processingRate {
				p.skipped.Store(true)
				return chunk, release, nil
			}
			pending, err = appendMono(pending, chunk, processingRate)
			if release != nil {
				release()
			}
			if err != nil {
				return nil, func() {}, fmt.Errorf("audio processing input: %w", err)
			}
			n := len(pending) / frame * frame
			if n == 0 {
				continue
			}
			out := wave.NewInt16Interleaved(wave.ChunkInfo{Len: n, Channels: 1, SamplingRate: processingRate})
			copy(out.Data, pending[:n])
			pending = pending[:copy(pending, pending[n:])]
			for i := 0; i < n; i += frame {
				// A closed module passes the rest unprocessed: the
				// capture is closing.
				_ = p.apm.Capture(out.Data[i:i+frame], echoDelayHint)
			}
			return out, func() {}, nil
		}
	})
}

func (p *processor) close() { p.apm.Close() }

// CheckAudioProcessing starts and stops the audio processing module, to
// tell whether calls will have echo cancellation and noise suppression.
func CheckAudioProcessing() error {
	p, err := newProcessor(AudioProcessing{Set: true, EchoCancel: true, NoiseSuppress: true, GainControl: true})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoAudioProcessing, err)
	}
	p.close()
	return nil
}
