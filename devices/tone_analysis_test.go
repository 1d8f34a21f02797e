package devices

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func sine(freq, amp float64, rate, channels, n int, noise float64) []int16 {
	r := rand.New(rand.NewPCG(5, 6))
	pcm := make([]int16, n*channels)
	for i := range n {
		v := amp*math.Sin(2*math.Pi*freq*float64(i)/float64(rate)) + noise*(r.Float64()*2-1)
		for ch := range channels {
			pcm[i*channels+ch] = int16(math.Round(v * 32767))
		}
	}
	return pcm
}

func TestAnalyzePCM(t *testing.T) {
	tests := []struct {
		name     string
		freq     float64
		rate, ch int
		dur      float64
		noise    float64
		tol      float64
	}{
		{"440 Hz 1 s", 440, 48000, 1, 1, 0, 0.05},
		{"1000 Hz stereo", 1000, 48000, 2, 0.5, 0, 0.1},
		{"1234.5 Hz", 1234.5, 48000, 1, 0.5, 0, 0.1},
		{"50 Hz", 50, 16000, 1, 1, 0, 0.2},
		{"1990 Hz", 1990, 48000, 1, 0.5, 0, 0.1},
		{"440 Hz 100 ms", 440, 48000, 1, 0.1, 0, 1},
		{"440 Hz noisy", 440, 48000, 1, 0.5, 0.2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pcm := sine(tt.freq, 0.5, tt.rate, tt.ch, int(tt.dur*float64(tt.rate)), tt.noise)
			rep, err := AnalyzePCM(pcm, tt.rate, tt.ch)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(rep.Frequency-tt.freq) > tt.tol {
				t.Errorf("frequency %.3f, want %g ± %g", rep.Frequency, tt.freq, tt.tol)
			}
			if tt.noise == 0 {
				if math.Abs(rep.RMS-0.5/math.Sqrt2) > 0.01 || math.Abs(rep.Peak-0.5) > 0.01 {
					t.Errorf("RMS %.4f peak %.4f, want 0.354 and 0.5", rep.RMS, rep.Peak)
				}
				if math.Abs(rep.DBFS()-(-9.03)) > 0.2 {
					t.Errorf("dBFS %.2f, want -9.03", rep.DBFS())
				}
			}
		})
	}
}

func TestAnalyzePCMEdgeCases(t *testing.T) {
	rep, err := AnalyzePCM(make([]int16, 4800), 48000, 1)
	if err != nil || rep.Frequency != 0 || rep.RMS != 0 || !math.IsInf(rep.DBFS(), -1) {
		t.Errorf("silence: %+v, %v", rep, err)
	}
	if _, err := AnalyzePCM(make([]int16, 100), 48000, 1); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("too short: %v", err)
	}
	if _, err := AnalyzePCM(make([]int16, 4800), 0, 1); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("zero rate: %v", err)
	}
}

func BenchmarkAnalyzePCM1s(b *testing.B) {
	pcm := sine(440, 0.5, 48000, 1, 48000, 0)
	for b.Loop() {
		if _, err := AnalyzePCM(pcm, 48000, 1); err != nil {
			b.Fatal(err)
		}
	}
}
