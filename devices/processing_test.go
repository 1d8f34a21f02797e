package devices

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/wave"
)

// talker is a voice-like far end: a harmonic complex whose pitch and
// loudness change every 200 ms, with pauses.
func talker(n int) []int16 {
	rng := rand.New(rand.NewPCG(4, 5))
	out := make([]int16, n)
	var phase, f0, amp float64
	for i := range out {
		if i%(processingRate/5) == 0 {
			f0, amp = 100+150*rng.Float64(), 3000*rng.Float64()
			if rng.Float64() < 0.2 {
				amp = 0
			}
		}
		phase += f0 / processingRate
		var v float64
		for k := 1; float64(k)*f0 < 3500; k++ {
			v += math.Sin(2*math.Pi*float64(k)*phase) / float64(k)
		}
		out[i] = int16(amp * v)
	}
	return out
}

// micReader plays the microphone's side of a call in odd-sized stereo
// chunks: the far end's echo, 50 ms late, while telling the processor
// what the speaker played just before each chunk.
type micReader struct {
	p        *processor
	far, mic []int16
	at       int
}

const chunkLen = 336 // 7 ms: not a multiple of the module's 10 ms

func (m *micReader) Read() (wave.Audio, func(), error) {
	if m.at+chunkLen > len(m.mic) {
		return nil, nil, io.EOF
	}
	m.p.playedOut(m.far[m.at:m.at+chunkLen], 1)
	c := wave.NewInt16Interleaved(wave.ChunkInfo{Len: chunkLen, Channels: 2, SamplingRate: processingRate})
	for i := range chunkLen {
		c.Data[2*i], c.Data[2*i+1] = m.mic[m.at+i], m.mic[m.at+i]
	}
	m.at += chunkLen
	return c, func() {}, nil
}

func TestProcessingCancelsTheEchoOfWhatWasPlayed(t *testing.T) {
	p, err := newProcessor(AudioProcessing{Set: true, EchoCancel: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	const seconds = 10
	far := talker(seconds * processingRate)
	mic := make([]int16, len(far))
	delay := processingRate / 20
	for i := delay; i < len(mic); i++ {
		mic[i] = int16(0.4 * float64(far[i-delay]))
	}
	var r audio.Reader = &micReader{p: p, far: far, mic: mic}
	r = p.transform(r)
	var out []int16
	for {
		chunk, _, err := r.Read()
		if err != nil {
			break
		}
		c, ok := chunk.(*wave.Int16Interleaved)
		if !ok || c.Size.Channels != 1 || c.Size.Len%p.apm.FrameSamples() != 0 {
			t.Fatalf("chunk %T of %+v: want mono 16-bit in whole 10 ms frames", chunk, chunk.ChunkInfo())
		}
		out = append(out, c.Data...)
	}
	if want := len(mic) / chunkLen * chunkLen / 480 * 480; len(out) != want {
		t.Fatalf("%d samples out of %d in, want %d", len(out), len(mic), want)
	}
	tail := len(out) - 3*processingRate
	reduction := 10 * math.Log10(meanSquare(mic[tail:len(out)])/max(meanSquare(out[tail:]), 1e-9))
	t.Logf("echo reduced by %.1f dB over the last 3 s", reduction)
	if reduction < 15 {
		t.Fatalf("echo reduced by %.1f dB, want at least 15", reduction)
	}
}

func TestProcessingPassesAudioAtOtherRates(t *testing.T) {
	p, err := newProcessor(AudioProcessing{Set: true, NoiseSuppress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	in := wave.NewInt16Interleaved(wave.ChunkInfo{Len: 441, Channels: 1, SamplingRate: 44100})
	in.Data[7] = 1234
	r := p.transform(audio.ReaderFunc(func() (wave.Audio, func(), error) { return in, func() {}, nil }))
	out, _, err := r.Read()
	if err != nil || out != in || !p.skipped.Load() {
		t.Fatalf("44.1 kHz chunk came out as %v (%v), skipped=%t: want it untouched and noted", out, err, p.skipped.Load())
	}
}

// TestCaptureProcessesRealMicrophonesOnly: by default only a real
// microphone is processed; the switches apply to any source.
func TestCaptureProcessesRealMicrophonesOnly(t *testing.T) {
	for _, tc := range []struct {
		cfg  CaptureConfig
		want AudioProcessing
	}{
		{CaptureConfig{}, AudioProcessing{Set: true, EchoCancel: true, NoiseSuppress: true, GainControl: true}},
		{CaptureConfig{Synthetic: true}, AudioProcessing{}},
		{CaptureConfig{AudioFile: "talk.wav"}, AudioProcessing{}},
		{CaptureConfig{Synthetic: true, Processing: AudioProcessing{Set: true, NoiseSuppress: true}}, AudioProcessing{Set: true, NoiseSuppress: true}},
		{CaptureConfig{Processing: AudioProcessing{Set: true}}, AudioProcessing{Set: true}},
	} {
		if got := tc.cfg.withDefaults().processing(); got != tc.want {
			t.Errorf("%+v: processing %+v, want %+v", tc.cfg, got, tc.want)
		}
	}
	c, err := Open(context.Background(), CaptureConfig{Synthetic: true, Audio: true,
		Processing: AudioProcessing{Set: true, EchoCancel: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.AudioProcessed() {
		t.Fatal("the synthetic microphone with echo cancellation asked for is not processed")
	}
	c.PlayedOut(make([]int16, 960), 2)
	plain, err := Open(context.Background(), CaptureConfig{Synthetic: true, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if plain.AudioProcessed() {
		t.Fatal("the synthetic microphone is processed by default")
	}
	plain.PlayedOut(make([]int16, 960), 2)
}

func meanSquare(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s / float64(max(len(x), 1))
}
