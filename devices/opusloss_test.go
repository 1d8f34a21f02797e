package devices

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

// encodeSpeech encodes speechLike audio in 20 ms packets at bitrate with
// the encoder told to expect lossPct % loss.
func encodeSpeech(t testing.TB, frames, bitrate, lossPct int) [][]byte {
	t.Helper()
	enc := newTestEncoder(t, bitrate)
	if err := enc.SetPacketLossPercent(lossPct); err != nil {
		t.Fatal(err)
	}
	pcm := speechLike(48000, 960*frames)
	out := make([]byte, MaxOpusPacketBytes)
	pkts := make([][]byte, frames)
	for i := range pkts {
		n, err := enc.Encode(pcm[i*960:(i+1)*960], out)
		if err != nil {
			t.Fatal(err)
		}
		pkts[i] = append([]byte(nil), out[:n]...)
	}
	return pkts
}

// decodeUpTo returns a decoder that has decoded pkts[:k].
func decodeUpTo(t testing.TB, pkts [][]byte, k int) *OpusDecoder {
	t.Helper()
	dec := newTestDecoder(t)
	pcm := make([]int16, dec.MaxSamples())
	for i, p := range pkts[:k] {
		if _, err := dec.Decode(p, pcm); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	return dec
}

// decodeAll decodes every packet (no loss) and returns the 20 ms frames.
func decodeAll(t testing.TB, pkts [][]byte) [][]int16 {
	t.Helper()
	dec := newTestDecoder(t)
	frames := make([][]int16, len(pkts))
	for i, p := range pkts {
		frames[i] = make([]int16, 960)
		if n, err := dec.Decode(p, frames[i]); err != nil || n != 960 {
			t.Fatalf("packet %d: %d samples, %v", i, n, err)
		}
	}
	return frames
}

// snrAcc accumulates a signal-to-noise ratio over several frames.
type snrAcc struct{ signal, noise float64 }

func (a *snrAcc) add(ref, got []int16) {
	for i := range ref {
		r, d := float64(ref[i]), float64(got[i])-float64(ref[i])
		a.signal += r * r
		a.noise += d * d
	}
}

func (a snrAcc) dB() float64 { return 10 * math.Log10(a.signal/math.Max(a.noise, 1)) }

// A lost packet concealed continues the tone at its frequency and level,
// where a gap left as it is plays silence; a longer loss fades out rather
// than droning on.
func TestOpusConceal(t *testing.T) {
	for _, freq := range []float64{440, 1000} {
		pkts := encodeOpus(t, 50, freq)
		const lost = 25
		dec := decodeUpTo(t, pkts, lost)
		gap := make([]int16, 960)
		if rep, err := AnalyzePCM(gap, 48000, 1); err != nil || rep.Frequency != 0 {
			t.Fatalf("unconcealed gap: %+v, %v; want silence", rep, err)
		}
		if n, err := dec.Conceal(gap); err != nil || n != 960 {
			t.Fatalf("conceal: %d samples, %v", n, err)
		}
		rep, err := AnalyzePCM(gap, 48000, 1)
		if err != nil {
			t.Fatal(err)
		}
		toneDB := 20 * math.Log10(ToneAmplitude/math.Sqrt2)
		t.Logf("%g Hz: concealed 20 ms is %.2f Hz at %.1f dBFS (tone %.1f dBFS)", freq, rep.Frequency, rep.DBFS(), toneDB)
		if math.Abs(rep.Frequency-freq) > 5 || math.Abs(rep.DBFS()-toneDB) > 3 {
			t.Errorf("%g Hz: concealed frame is %.2f Hz at %.1f dBFS, want the tone at %.1f ± 3 dBFS",
				freq, rep.Frequency, rep.DBFS(), toneDB)
		}
		// Nine more lost packets: 200 ms in all.
		for range 9 {
			if _, err := dec.Conceal(gap); err != nil {
				t.Fatal(err)
			}
		}
		rep, _ = AnalyzePCM(gap, 48000, 1)
		t.Logf("%g Hz: 10th concealed frame at %.1f dBFS", freq, rep.DBFS())
		if rep.DBFS() > toneDB-15 {
			t.Errorf("%g Hz: 10th concealed frame at %.1f dBFS, want a fade below %.1f", freq, rep.DBFS(), toneDB-15)
		}
		// Decoding resumes with the next packet that arrives.
		pcm := make([]int16, dec.MaxSamples())
		var after []int16
		for _, p := range pkts[lost+10:] {
			n, err := dec.Decode(p, pcm)
			if err != nil {
				t.Fatal(err)
			}
			after = append(after, pcm[:n]...)
		}
		if rep, _ := AnalyzePCM(after[960*3:], 48000, 1); math.Abs(rep.Frequency-freq) > 5 || math.Abs(rep.DBFS()-toneDB) > 3 {
			t.Errorf("%g Hz: after the loss %.2f Hz at %.1f dBFS", freq, rep.Frequency, rep.DBFS())
		}
	}
}

// With loss expected, each packet carries FEC for the one before: a lost
// packet rebuilt from its successor is far closer to what the lossless
// stream decodes to than concealment. Without (0 % loss), DecodeFEC has
// nothing to use and is concealment. Speech-like audio, because the next
// 20 ms of a pure tone is easy to extrapolate.
func TestOpusDecodeFEC(t *testing.T) {
	const bitrate = DefaultAudioBitrate
	for _, loss := range []int{10, 0} {
		pkts := encodeSpeech(t, 100, bitrate, loss)
		modes := map[string]int{}
		for _, p := range pkts {
			modes[opusMode(p[0])]++
		}
		r := measureRecovery(t, pkts)
		t.Logf("%d bit/s, %d%% loss expected, modes %v: %v", bitrate, loss, modes, r)
		switch {
		case loss > 0 && !r.fecHelps():
			t.Errorf("%d%% loss: %v; want FEC ≥ 8 dB and 6 dB better than concealment", loss, r)
		case loss == 0 && math.Abs(r.fec.dB()-r.plc.dB()) > 0.5:
			t.Errorf("no loss expected: %v; want FEC the same as concealment (no FEC sent)", r)
		}
	}
}

// recovery compares, for lost packets, what FEC and concealment produce
// with what the lossless stream decodes to.
type recovery struct {
	fec, plc         snrAcc
	fecCorr, plcCorr float64 // mean correlation
}

func (r recovery) fecHelps() bool { return r.fec.dB() >= 8 && r.fec.dB() >= r.plc.dB()+6 }

func (r recovery) String() string {
	return fmt.Sprintf("lost frame vs lossless decode: FEC %.1f dB SNR (correlation %.2f), concealment %.1f dB (%.2f)",
		r.fec.dB(), r.fecCorr, r.plc.dB(), r.plcCorr)
}

// measureRecovery loses, one at a time, every 7th packet from the 20th on
// and recovers it both from the next packet's FEC and by concealment.
func measureRecovery(t testing.TB, pkts [][]byte) recovery {
	t.Helper()
	ref := decodeAll(t, pkts)
	var r recovery
	losses := 0
	for k := 20; k < len(pkts)-1; k += 7 {
		concealed, recovered := make([]int16, 960), make([]int16, 960)
		if _, err := decodeUpTo(t, pkts, k).Conceal(concealed); err != nil {
			t.Fatal(err)
		}
		dec := decodeUpTo(t, pkts, k)
		if n, err := dec.DecodeFEC(pkts[k+1], recovered); err != nil || n != 960 {
			t.Fatalf("decode fec from packet %d: %d samples, %v", k+1, n, err)
		}
		r.plc.add(ref[k], concealed)
		r.fec.add(ref[k], recovered)
		r.plcCorr += correlation(ref[k], concealed)
		r.fecCorr += correlation(ref[k], recovered)
		losses++
		// The packet that carried the FEC then decodes as usual.
		pcm := make([]int16, 960)
		if _, err := dec.Decode(pkts[k+1], pcm); err != nil {
			t.Fatal(err)
		}
	}
	r.plcCorr /= float64(losses)
	r.fecCorr /= float64(losses)
	return r
}

// correlation is the normalised cross-correlation of a and b at lag 0.
func correlation(a, b []int16) float64 {
	var ab, aa, bb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		ab += x * y
		aa += x * x
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

func TestOpusConcealErrors(t *testing.T) {
	dec, err := NewOpusDecoder(48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	pkt := encodeOpus(t, 1, 440)[0]
	// Stereo: 20 ms is 1920 interleaved samples; 2.5 ms steps are 240.
	for _, n := range []int{0, 1, 959, 960 + 1, 60 * 2, dec.MaxSamples() + 240} {
		pcm := make([]int16, n)
		if _, err := dec.Conceal(pcm); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("conceal into %d samples: %v, want ErrInvalidConfig", n, err)
		}
		if _, err := dec.DecodeFEC(pkt, pcm); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("decode fec into %d samples: %v, want ErrInvalidConfig", n, err)
		}
	}
	for _, n := range []int{240 * 2, 1920, dec.MaxSamples()} {
		pcm := make([]int16, n)
		if got, err := dec.Conceal(pcm); err != nil || got != n/2 {
			t.Errorf("conceal into %d samples: %d, %v", n, got, err)
		}
		if got, err := dec.DecodeFEC(pkt, pcm); err != nil || got != n/2 {
			t.Errorf("decode fec into %d samples: %d, %v", n, got, err)
		}
	}
	if _, err := dec.DecodeFEC(nil, make([]int16, 1920)); !errors.Is(err, ErrEmptyFrame) {
		t.Errorf("decode fec from nothing: %v, want ErrEmptyFrame", err)
	}
	if _, err := dec.DecodeFEC([]byte{0xff, 0xff, 0xff, 0xff}, make([]int16, 1920)); !errors.Is(err, ErrDecode) {
		t.Errorf("decode fec from garbage: %v, want ErrDecode", err)
	}
}
