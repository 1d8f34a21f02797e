package jitter

import (
	"math"
	"testing"
)

// tone returns n samples of a sine at freq Hz and amplitude amp, starting
// at sample index start of the same continuous tone.
func tone(freq float64, amp float64, start, n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(start+i)/testRate)))
	}
	return pcm
}

// goertzel returns the power of pcm at freq Hz.
func goertzel(pcm []int16, freq float64) float64 {
	coeff := 2 * math.Cos(2*math.Pi*freq/testRate)
	var s1, s2 float64
	for i, v := range pcm {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(len(pcm)-1)) // Hann
		s := float64(v)*w + coeff*s1 - s2
		s2, s1 = s1, s
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}

// dominantHz returns the strongest frequency of pcm between 50 and 2000 Hz,
// to half a hertz.
func dominantHz(pcm []int16) float64 {
	peak := func(lo, hi, step float64) float64 {
		best, bestPow := lo, -1.0
		for f := lo; f <= hi; f += step {
			if p := goertzel(pcm, f); p > bestPow {
				best, bestPow = f, p
			}
		}
		return best
	}
	coarse := peak(50, 2000, 10)
	return peak(coarse-10, coarse+10, 0.5)
}

// maxStep is the largest difference between neighbouring samples: a splice
// that clicks makes a step much larger than the tone's own.
func maxStep(pcm []int16) int {
	m := 0
	for i := 1; i < len(pcm); i++ {
		d := int(pcm[i]) - int(pcm[i-1])
		m = max(m, d, -d)
	}
	return m
}

// rms is the root-mean-square of pcm relative to full scale.
func rms(pcm []int16) float64 {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum/float64(max(len(pcm), 1))) / 32768
}

func TestAnalysisHelpers(t *testing.T) {
	pcm := tone(440, 8000, 0, 4800)
	if f := dominantHz(pcm); math.Abs(f-440) > 1 {
		t.Fatalf("dominant %v Hz, want 440", f)
	}
	if r := rms(pcm); math.Abs(r-8000.0/32768/math.Sqrt2) > 0.001 {
		t.Fatalf("rms %v", r)
	}
}
