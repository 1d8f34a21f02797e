package devices

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// The encoder a Capture uses (libopus, VOIP mode, 32 kbps) emits SILK,
// hybrid or CELT frames for a pure tone; they must decode to the same tone.
func TestOpusRoundTripTone(t *testing.T) {
	t.Log(libopusVersion())
	for _, freq := range []float64{440, 1000} {
		pkts := encodeOpus(t, 50, freq)
		dec := newTestDecoder(t)
		modes := map[string]int{}
		pcm := make([]int16, dec.MaxSamples())
		var all []int16
		for i, p := range pkts {
			modes[opusMode(p[0])]++
			n, err := dec.Decode(p, pcm)
			if err != nil {
				t.Fatalf("%g Hz packet %d: %v", freq, i, err)
			}
			if n != 960 {
				t.Fatalf("packet %d: %d samples, want 960", i, n)
			}
			if i >= 5 { // skip codec start-up
				all = append(all, pcm[:n]...)
			}
		}
		rep, err := AnalyzePCM(all, 48000, 1)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%g Hz: decoded %.2f Hz at %.1f dBFS; packet modes %v", freq, rep.Frequency, rep.DBFS(), modes)
		if math.Abs(rep.Frequency-freq) > 5 {
			t.Errorf("decoded %.2f Hz, want %g ± 5", rep.Frequency, freq)
		}
		if want := ToneAmplitude / math.Sqrt2; math.Abs(rep.RMS-want) > 0.05 {
			t.Errorf("decoded RMS %.3f, want ≈ %.3f", rep.RMS, want)
		}
	}
}

// opusMode names the coding mode in a TOC byte (RFC 6716 §3.1).
func opusMode(toc byte) string {
	switch cfg := toc >> 3; {
	case cfg < 12:
		return "silk"
	case cfg < 16:
		return "hybrid"
	default:
		return "celt"
	}
}

func TestOpusDecoderErrors(t *testing.T) {
	if _, err := NewOpusDecoder(44100, 1); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("44.1 kHz: %v, want ErrInvalidConfig", err)
	}
	if _, err := NewOpusDecoder(48000, 3); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("3 channels: %v, want ErrInvalidConfig", err)
	}
	dec, err := NewOpusDecoder(48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	pcm := make([]int16, dec.MaxSamples())
	if _, err := dec.Decode(nil, pcm); !errors.Is(err, ErrEmptyFrame) {
		t.Errorf("empty packet: %v", err)
	}
	if _, err := dec.Decode(encodeOpus(t, 1, 440)[0], pcm[:100]); !errors.Is(err, ErrDecode) {
		t.Errorf("pcm too short: %v, want ErrDecode", err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		p := make([]byte, 1+r.IntN(300))
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		if _, err := dec.Decode(p, pcm); err != nil && !errors.Is(err, ErrDecode) {
			t.Fatalf("random packet: %v, want nil or ErrDecode", err)
		}
	}
	// Still usable afterwards.
	for _, p := range encodeOpus(t, 3, 440) {
		if _, err := dec.Decode(p, pcm); err != nil {
			t.Fatalf("valid packet after garbage: %v", err)
		}
	}
}

// FuzzOpusDecoder: received audio is network input; decoding it, or
// recovering the frame before it from its FEC, must never crash and must
// fail only with ErrDecode.
func FuzzOpusDecoder(f *testing.F) {
	for _, p := range encodeOpus(f, 3, 440) {
		f.Add(p)
	}
	f.Add([]byte{0xfc, 0xff, 0xfe})
	f.Add([]byte{0x4b, 0x41})
	dec, err := NewOpusDecoder(48000, 2)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = dec.Close() })
	pcm := make([]int16, dec.MaxSamples())
	f.Fuzz(func(t *testing.T, p []byte) {
		if _, err := dec.DecodeFEC(p, pcm[:1920]); err != nil && !errors.Is(err, ErrDecode) && !errors.Is(err, ErrEmptyFrame) {
			t.Fatal(err)
		}
		if _, err := dec.Decode(p, pcm); err != nil && !errors.Is(err, ErrDecode) && !errors.Is(err, ErrEmptyFrame) {
			t.Fatal(err)
		}
	})
}
