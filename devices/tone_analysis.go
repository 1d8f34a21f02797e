package devices

import (
	"fmt"
	"math"
	"math/cmplx"
)

// Tone analysis bounds: the band searched for the dominant frequency, and
// the level below which a signal counts as silence (−80 dBFS).
const (
	AnalysisMinHz  = 20
	AnalysisMaxHz  = 2000
	silenceRMS     = 1e-4
	minAnalysisDur = 0.01 // seconds
)

// ToneReport describes a stretch of PCM.
type ToneReport struct {
	// Frequency is the dominant frequency between 20 and 2000 Hz, to a
	// fraction of a hertz for a clean tone; 0 when the input is silent.
	Frequency float64
	// RMS is the root-mean-square level relative to full scale (0..1).
	RMS float64
	// Peak is the largest absolute sample relative to full scale.
	Peak float64
}

// DBFS returns RMS in decibels relative to full scale (−Inf for silence).
func (r ToneReport) DBFS() float64 { return 20 * math.Log10(r.RMS) }

// AnalyzePCM finds the dominant frequency and the level of interleaved 16-bit
// PCM (channels are averaged), so a test or a bot can check that "the
// received tone is 440 Hz". Give it at least 100 ms for a ±1 Hz answer;
// it needs 10 ms at the very least.
//
// Method: Hann window, zero-padded FFT to find the strongest bin in band,
// then a golden-section search of the windowed DTFT magnitude around it.
func AnalyzePCM(pcm []int16, sampleRate, channels int) (ToneReport, error) {
	if sampleRate <= 0 || channels <= 0 {
		return ToneReport{}, fmt.Errorf("analyze pcm: %w: rate %d channels %d", ErrInvalidConfig, sampleRate, channels)
	}
	n := len(pcm) / channels
	if float64(n) < minAnalysisDur*float64(sampleRate) {
		return ToneReport{}, fmt.Errorf("analyze pcm: %w: %d samples at %d Hz is too short", ErrInvalidConfig, n, sampleRate)
	}
	x := make([]float64, n)
	var rep ToneReport
	var sum, sumSq float64
	for i := range n {
		var v float64
		for ch := range channels {
			s := float64(pcm[i*channels+ch]) / 32768
			rep.Peak = max(rep.Peak, math.Abs(s))
			v += s
		}
		v /= float64(channels)
		x[i] = v
		sum += v
		sumSq += v * v
	}
	rep.RMS = math.Sqrt(sumSq / float64(n))
	if rep.RMS < silenceRMS {
		return rep, nil
	}
	mean := sum / float64(n)
	for i := range x {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		x[i] = (x[i] - mean) * w
	}
	rep.Frequency = dominantFrequency(x, float64(sampleRate))
	return rep, nil
}

// dominantFrequency returns the in-band frequency with the largest DTFT
// magnitude of the (already windowed) signal x.
func dominantFrequency(x []float64, rate float64) float64 {
	size := 1
	for size < 4*len(x) {
		size <<= 1
	}
	buf := make([]complex128, size)
	for i, v := range x {
		buf[i] = complex(v, 0)
	}
	fft(buf)
	binHz := rate / float64(size)
	lo := max(1, int(AnalysisMinHz/binHz))
	hi := min(size/2-1, int(math.Ceil(AnalysisMaxHz/binHz)))
	best := lo
	for k := lo; k <= hi; k++ {
		if cmplx.Abs(buf[k]) > cmplx.Abs(buf[best]) {
			best = k
		}
	}
	// Refine between the neighbouring bins; the main lobe is unimodal there.
	a, b := float64(best-1)*binHz, float64(best+1)*binHz
	mag := func(f float64) float64 { return dtftMagnitude(x, f/rate) }
	const phi = 0.6180339887498949
	c, d := b-phi*(b-a), a+phi*(b-a)
	mc, md := mag(c), mag(d)
	for b-a > 0.01 {
		if mc > md {
			b, d, md = d, c, mc
			c = b - phi*(b-a)
			mc = mag(c)
		} else {
			a, c, mc = c, d, md
			d = a + phi*(b-a)
			md = mag(d)
		}
	}
	return (a + b) / 2
}

// dtftMagnitude evaluates |X(f)| at normalised frequency f (cycles/sample)
// with the Goertzel recurrence, which works for non-integer bins.
func dtftMagnitude(x []float64, f float64) float64 {
	w := 2 * math.Pi * f
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	re := s1 - s2*math.Cos(w)
	im := s2 * math.Sin(w)
	return math.Hypot(re, im)
}

// fft is an in-place iterative radix-2 FFT; len(a) must be a power of two.
func fft(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		step := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			w := complex(1, 0)
			for k := range size / 2 {
				u, v := a[start+k], a[start+k+size/2]*w
				a[start+k], a[start+k+size/2] = u+v, u-v
				w *= step
			}
		}
	}
}
