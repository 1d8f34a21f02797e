package devices

import (
	"errors"
	"math"
	"sync"
	"testing"
)

func TestOpusEncoderErrors(t *testing.T) {
	for _, c := range []struct{ rate, ch, bitrate int }{
		{44100, 1, 32000}, {48000, 0, 32000}, {48000, 3, 32000},
		{48000, 1, MinOpusBitrate - 1}, {48000, 1, MaxOpusBitrate + 1},
	} {
		if _, err := NewOpusEncoder(c.rate, c.ch, c.bitrate); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewOpusEncoder(%d, %d, %d): %v, want ErrInvalidConfig", c.rate, c.ch, c.bitrate, err)
		}
	}
	enc := newTestEncoder(t, 32000)
	out := make([]byte, MaxOpusPacketBytes)
	for _, n := range []int{0, 1, 959, 961, 48000} {
		if _, err := enc.Encode(make([]int16, n), out); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("encode %d samples: %v, want ErrInvalidConfig", n, err)
		}
	}
	if _, err := enc.Encode(make([]int16, 960), nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("encode into nothing: %v, want ErrInvalidConfig", err)
	}
	for _, pct := range []int{-1, 101} {
		if err := enc.SetPacketLossPercent(pct); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("loss %d%%: %v, want ErrInvalidConfig", pct, err)
		}
	}
	for _, bps := range []int{0, MinOpusBitrate - 1, MaxOpusBitrate + 1} {
		if err := enc.SetBitrate(bps); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("bitrate %d: %v, want ErrInvalidConfig", bps, err)
		}
	}
	// Every Opus frame duration is accepted.
	for _, n := range []int{120, 240, 480, 960, 1920, 2880} {
		if _, err := enc.Encode(make([]int16, n), out); err != nil {
			t.Errorf("encode %d samples: %v", n, err)
		}
	}
}

func TestOpusClose(t *testing.T) {
	enc, err := NewOpusEncoder(48000, 1, 32000)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewOpusDecoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	pkt := make([]byte, MaxOpusPacketBytes)
	n, err := enc.Encode(make([]int16, 960), pkt)
	if err != nil {
		t.Fatal(err)
	}
	pkt = pkt[:n]
	for range 2 {
		if err := enc.Close(); err != nil {
			t.Errorf("encoder close: %v", err)
		}
		if err := dec.Close(); err != nil {
			t.Errorf("decoder close: %v", err)
		}
	}
	pcm := make([]int16, 960)
	for what, err := range map[string]error{
		"Encode":               second(enc.Encode(pcm, make([]byte, MaxOpusPacketBytes))),
		"SetBitrate":           enc.SetBitrate(20000),
		"SetPacketLossPercent": enc.SetPacketLossPercent(5),
		"Decode":               second(dec.Decode(pkt, pcm)),
		"Conceal":              second(dec.Conceal(pcm)),
		"DecodeFEC":            second(dec.DecodeFEC(pkt, pcm)),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", what, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// Encoders and decoders are used from several goroutines at once (the
// sender's encoder loop and a bitrate controller, a receive loop and a
// stats reader) and closed while in use; -race must stay quiet.
func TestOpusConcurrentUse(t *testing.T) {
	checkGoroutines(t)
	enc, err := NewOpusEncoder(48000, 1, 32000)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewOpusDecoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	pcm := speechLike(48000, 960*20)
	busy := make(chan struct{}) // closed once goroutine 0 is halfway (or done)
	markBusy := sync.OnceFunc(func() { close(busy) })
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			if g == 0 {
				defer markBusy()
			}
			out := make([]byte, MaxOpusPacketBytes)
			dpcm := make([]int16, dec.MaxSamples())
			for i := range 20 {
				if g == 0 && i == 10 {
					markBusy()
				}
				_ = enc.SetBitrate(16000 + 8000*g)
				_ = enc.SetPacketLossPercent(i % 20)
				n, err := enc.Encode(pcm[i*960:(i+1)*960], out)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := dec.Decode(out[:n], dpcm); err != nil && !errors.Is(err, ErrClosed) {
					t.Error(err)
					return
				}
				if _, err := dec.Conceal(dpcm[:960]); err != nil && !errors.Is(err, ErrClosed) {
					t.Error(err)
					return
				}
				if _, err := dec.DecodeFEC(out[:n], dpcm[:960]); err != nil && !errors.Is(err, ErrClosed) {
					t.Error(err)
					return
				}
				_ = dec.SampleRate() + dec.Channels() + enc.SampleRate() + enc.Channels()
			}
		})
	}
	wg.Go(func() {
		<-busy
		_ = enc.Close()
		_ = dec.Close()
	})
	wg.Wait()
}

// SetBitrate changes the packet size: the mean packet of speech-like audio
// follows the target bitrate (bytes = bitrate × 20 ms / 8).
func TestOpusSetBitrate(t *testing.T) {
	pcm := speechLike(48000, 960*100)
	enc := newTestEncoder(t, DefaultAudioBitrate)
	out := make([]byte, MaxOpusPacketBytes)
	var means []float64
	rates := []int{12000, 24000, 32000, 64000}
	for _, bps := range rates {
		if err := enc.SetBitrate(bps); err != nil {
			t.Fatal(err)
		}
		var total, count int
		for i := range 100 {
			n, err := enc.Encode(pcm[i*960:(i+1)*960], out)
			if err != nil {
				t.Fatal(err)
			}
			if i >= 10 { // let the rate control settle
				total += n
				count++
			}
		}
		mean := float64(total) / float64(count)
		means = append(means, mean)
		want := float64(bps) * 0.020 / 8
		t.Logf("%5d bit/s: mean packet %.1f bytes (target %.0f)", bps, mean, want)
		if math.Abs(mean-want) > 0.35*want {
			t.Errorf("%d bit/s: mean packet %.1f bytes, want %.0f ± 35%%", bps, mean, want)
		}
	}
	for i := 1; i < len(means); i++ {
		if means[i] <= means[i-1] {
			t.Errorf("packets at %d bit/s (%.1f bytes) not larger than at %d bit/s (%.1f bytes)",
				rates[i], means[i], rates[i-1], means[i-1])
		}
	}
}

// speechLike returns n samples of a voiced, speech-like signal at rate: a
// harmonic series (8 harmonics, falling 6 dB per octave) whose pitch glides
// between 100 and 180 Hz, shaped into syllables four times a second. Unlike
// a pure tone, the next 20 ms cannot be extrapolated from the last.
func speechLike(rate, n int) []int16 {
	out := make([]int16, n)
	var phase float64
	for i := range out {
		ts := float64(i) / float64(rate)
		f0 := 140 + 40*math.Sin(2*math.Pi*2.7*ts)
		phase += 2 * math.Pi * f0 / float64(rate)
		env := 0.55 + 0.45*math.Sin(2*math.Pi*4*ts)
		var v float64
		for k := 1; k <= 8; k++ {
			v += math.Sin(float64(k)*phase+float64(k*k)) / float64(k)
		}
		out[i] = int16(math.Round(0.12 * 32767 * env * v))
	}
	return out
}
