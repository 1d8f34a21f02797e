package devices

import (
	"errors"
	"io"
	"math"
	"testing"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
)

// sineSource is an unpaced audio.Reader of a 440 Hz sine in a given
// mediadevices sample format, chunk size and channel count; channel 0 has
// the tone, the others have it too unless leftOnly.
type sineSource struct {
	format   string // "int16", "float32", "int16-planar" or "float32-planar"
	rate     int
	channels int
	chunk    int // samples per channel per Read
	leftOnly bool
	n        int // samples produced so far
}

func (s *sineSource) Read() (wave.Audio, func(), error) {
	info := wave.ChunkInfo{Len: s.chunk, Channels: s.channels, SamplingRate: s.rate}
	var a wave.EditableAudio
	switch s.format {
	case "int16":
		a = wave.NewInt16Interleaved(info)
	case "float32":
		a = wave.NewFloat32Interleaved(info)
	case "int16-planar":
		a = wave.NewInt16NonInterleaved(info)
	default:
		a = wave.NewFloat32NonInterleaved(info)
	}
	for i := range s.chunk {
		v := ToneAmplitude * math.Sin(2*math.Pi*440*float64(s.n)/float64(s.rate))
		s.n++
		for ch := range s.channels {
			if ch > 0 && s.leftOnly {
				continue
			}
			if s.format == "int16" || s.format == "int16-planar" {
				a.Set(i, ch, wave.Int16Sample(math.Round(v*32767)))
			} else {
				a.Set(i, ch, wave.Float32Sample(v))
			}
		}
	}
	return a, func() {}, nil
}

func (s *sineSource) prop() prop.Media {
	return prop.Media{Audio: prop.Audio{SampleRate: s.rate, ChannelCount: s.channels}}
}

// readPackets reads n packets from an encoder.
func readPackets(t testing.TB, r codec.ReadCloser, n int) [][]byte {
	t.Helper()
	var pkts [][]byte
	for range n {
		b, release, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, b)
		release()
	}
	return pkts
}

func meanSize(pkts [][]byte) float64 {
	total := 0
	for _, p := range pkts {
		total += len(p)
	}
	return float64(total) / float64(len(pkts))
}

// The Capture's Opus encoder takes whatever a microphone driver delivers at
// an Opus rate, in chunks of any length: it mixes to mono, cuts 20 ms
// frames, and the tone comes out at its frequency and level.
func TestOpusBuilderInputFormats(t *testing.T) {
	toneRMS := ToneAmplitude / math.Sqrt2
	for _, src := range []*sineSource{
		{format: "int16", rate: 48000, channels: 1, chunk: 960},
		{format: "int16", rate: 48000, channels: 1, chunk: 441},
		{format: "float32", rate: 48000, channels: 2, chunk: 336},
		{format: "int16-planar", rate: 48000, channels: 2, chunk: 480},
		{format: "float32-planar", rate: 48000, channels: 2, chunk: 2000, leftOnly: true},
		{format: "int16", rate: 16000, channels: 1, chunk: 160},
		{format: "float32", rate: 24000, channels: 1, chunk: 480},
	} {
		b, err := newOpusBuilder(DefaultAudioBitrate)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := b.BuildAudioEncoder(src, src.prop())
		if err != nil {
			t.Fatalf("%+v: %v", *src, err)
		}
		dec := newTestDecoder(t)
		pcm := make([]int16, dec.MaxSamples())
		var all []int16
		for i, p := range readPackets(t, enc, 40) {
			n, err := dec.Decode(p, pcm)
			if err != nil || n != 960 {
				t.Fatalf("%+v packet %d: %d samples, %v; want 20 ms", *src, i, n, err)
			}
			if i >= 5 {
				all = append(all, pcm[:n]...)
			}
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		rep, err := AnalyzePCM(all, 48000, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := toneRMS
		if src.leftOnly {
			want /= 2
		}
		t.Logf("%s %d Hz × %d in %d-sample chunks: %.2f Hz, RMS %.3f (want %.3f)",
			src.format, src.rate, src.channels, src.chunk, rep.Frequency, rep.RMS, want)
		if math.Abs(rep.Frequency-440) > 5 || math.Abs(rep.RMS-want) > 0.15*want {
			t.Errorf("%+v: %.2f Hz at RMS %.3f, want 440 Hz at %.3f", *src, rep.Frequency, rep.RMS, want)
		}
	}
	b, err := newOpusBuilder(DefaultAudioBitrate)
	if err != nil {
		t.Fatal(err)
	}
	src := &sineSource{format: "int16", rate: 44100, channels: 1, chunk: 441}
	if _, err := b.BuildAudioEncoder(src, src.prop()); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("44.1 kHz input: %v, want ErrInvalidConfig", err)
	}
	// A source that changes rate mid-stream ends the stream.
	src = &sineSource{format: "int16", rate: 48000, channels: 1, chunk: 960}
	enc, err := b.BuildAudioEncoder(src, src.prop())
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	readPackets(t, enc, 1)
	src.rate = 16000
	if _, _, err := enc.Read(); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("rate change: %v, want ErrInvalidConfig", err)
	}
}

// A track bound to two PeerConnections has two encoders: the builder's
// settings reach both and later ones; an encoder's own controller reaches
// only that encoder.
func TestOpusBuilderControls(t *testing.T) {
	b, err := newOpusBuilder(DefaultAudioBitrate)
	if err != nil {
		t.Fatal(err)
	}
	speech := func() audio.Reader {
		pcm := speechLike(48000, 48000*10)
		i := 0
		return audio.ReaderFunc(func() (wave.Audio, func(), error) {
			c := wave.NewInt16Interleaved(wave.ChunkInfo{Len: 960, Channels: 1, SamplingRate: 48000})
			copy(c.Data, pcm[i:])
			i = (i + 960) % len(pcm)
			return c, func() {}, nil
		})
	}
	media := prop.Media{Audio: prop.Audio{SampleRate: 48000, ChannelCount: 1}}
	build := func() codec.ReadCloser {
		t.Helper()
		e, err := b.BuildAudioEncoder(speech(), media)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		return e
	}
	// size reads 10 packets to let the rate settle, then 30, and returns their mean size.
	size := func(e codec.ReadCloser) float64 {
		t.Helper()
		readPackets(t, e, 10)
		return meanSize(readPackets(t, e, 30))
	}
	e1, e2 := build(), build()
	if _, ok := e1.Controller().(codec.BitRateController); !ok {
		t.Errorf("controller %T is not a codec.BitRateController", e1.Controller())
	}
	if _, ok := e1.Controller().(PacketLossController); !ok {
		t.Errorf("controller %T is not a PacketLossController", e1.Controller())
	}
	s1, s2 := size(e1), size(e2)
	if err := b.SetBitRate(12000); err != nil {
		t.Fatal(err)
	}
	e3 := build()
	l1, l2, l3 := size(e1), size(e2), size(e3)
	t.Logf("mean packet at 32 kbit/s: %.1f, %.1f bytes; at 12 kbit/s: %.1f, %.1f, %.1f (built later) bytes", s1, s2, l1, l2, l3)
	for _, l := range []float64{l1, l2, l3} {
		if l > 0.6*min(s1, s2) {
			t.Errorf("at 12 kbit/s packets of %.1f bytes, at 32 kbit/s %.1f and %.1f", l, s1, s2)
		}
	}
	if err := e1.Controller().(codec.BitRateController).SetBitRate(64000); err != nil {
		t.Fatal(err)
	}
	h1, h2 := size(e1), size(e2)
	t.Logf("after e1 alone to 64 kbit/s: %.1f, %.1f bytes", h1, h2)
	if h1 < 2*l1 || math.Abs(h2-l2) > 0.3*l2 {
		t.Errorf("after raising only e1: %.1f and %.1f bytes, were %.1f and %.1f", h1, h2, l1, l2)
	}

	if err := b.SetBitRate(MinOpusBitrate - 1); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bitrate too low: %v, want ErrInvalidConfig", err)
	}
	if err := b.SetPacketLossPercent(101); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("loss 101%%: %v, want ErrInvalidConfig", err)
	}

	// Loss set through the builder turns FEC on in a running encoder.
	if err := b.SetBitRate(DefaultAudioBitrate); err != nil {
		t.Fatal(err)
	}
	if err := b.SetPacketLossPercent(10); err != nil {
		t.Fatal(err)
	}
	r := measureRecovery(t, readPackets(t, e2, 100))
	t.Logf("e2 after the builder's 10%% loss: %v", r)
	if !r.fecHelps() {
		t.Errorf("e2 after the builder's 10%% loss: %v; want FEC ≥ 8 dB and 6 dB better than concealment", r)
	}

	// Closing forgets the encoder; Read after Close is the end of the stream.
	for range 2 {
		if err := e2.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b.mu.Lock()
	live := len(b.live)
	b.mu.Unlock()
	if live != 2 {
		t.Errorf("%d live encoders after closing one of 3", live)
	}
	if _, _, err := e2.Read(); !errors.Is(err, io.EOF) {
		t.Errorf("read after close: %v, want io.EOF", err)
	}
	if err := b.SetBitRate(20000); err != nil {
		t.Errorf("set bitrate with a closed encoder: %v", err)
	}
}
