package jitter

import (
	"math"
	"testing"
)

func TestTimeScalerKeepsToneAndDoesNotClick(t *testing.T) {
	ts := newTimeScaler(testRate)
	src := tone(440, 8000, 0, 960)
	toneStep := maxStep(tone(440, 8000, 0, 9600))
	// With 3 ms at most no lag is a period of the tone (2.27 ms): the splice
	// shifts its phase, but the crossfade keeps it from clicking.
	for _, tc := range []struct {
		name     string
		limit    int
		maxShift float64 // Hz
	}{{"up to 15 ms", 720, 1}, {"up to 3 ms", 144, 6}} {
		t.Run("accelerate "+tc.name, func(t *testing.T) {
			dst := make([]int16, len(src))
			removed := ts.accelerate(dst, src, tc.limit)
			if removed < ts.minLag || removed > tc.limit {
				t.Fatalf("removed %d samples, want %d–%d", removed, ts.minLag, tc.limit)
			}
			// What was played before ends at src[-1]; what follows starts
			// at the next tone sample.
			out := append(append(tone(440, 8000, -480, 480), dst[:len(src)-removed]...), tone(440, 8000, 960, 480)...)
			if s := maxStep(out); s > toneStep*11/10 {
				t.Errorf("step %d at the splice, the tone's own is %d", s, toneStep)
			}
			if f := dominantHz(out); math.Abs(f-440) > tc.maxShift {
				t.Errorf("dominant %v Hz after accelerate", f)
			}
		})
		t.Run("expand "+tc.name, func(t *testing.T) {
			dst := make([]int16, len(src)+tc.limit)
			inserted := ts.expand(dst, src, tc.limit)
			if inserted < ts.minLag || inserted > tc.limit {
				t.Fatalf("inserted %d samples, want %d–%d", inserted, ts.minLag, tc.limit)
			}
			out := append(append(tone(440, 8000, -480, 480), dst[:len(src)+inserted]...), tone(440, 8000, 960, 480)...)
			if s := maxStep(out); s > toneStep*11/10 {
				t.Errorf("step %d at the splice, the tone's own is %d", s, toneStep)
			}
			if f := dominantHz(out); math.Abs(f-440) > tc.maxShift {
				t.Errorf("dominant %v Hz after expand", f)
			}
		})
	}
}

func TestTimeScalerQuietTakesLongest(t *testing.T) {
	ts := newTimeScaler(testRate)
	quiet := tone(440, 10, 0, 960)
	dst := make([]int16, 960+ts.maxLag)
	if got := ts.accelerate(dst, quiet, 1000); got != ts.maxLag {
		t.Errorf("quiet accelerate removed %d, want %d", got, ts.maxLag)
	}
	if got := ts.expand(dst, quiet, 200); got != 200 {
		t.Errorf("quiet expand inserted %d, want the limit 200", got)
	}
}

func TestTimeScalerTooShort(t *testing.T) {
	ts := newTimeScaler(testRate)
	dst := make([]int16, 2000)
	short := tone(440, 8000, 0, ts.minLag+ts.overlap-1)
	if got := ts.accelerate(dst, short, 480); got != 0 {
		t.Errorf("accelerate on %d samples removed %d", len(short), got)
	}
	if got := ts.expand(dst, tone(440, 8000, 0, 960), ts.minLag-1); got != 0 {
		t.Errorf("expand limited below the shortest lag inserted %d", got)
	}
}

func TestCrossfade(t *testing.T) {
	from := []int16{1000, 1000, 1000, 1000}
	to := []int16{-1000, -1000, -1000, -1000}
	dst := make([]int16, 4)
	crossfade(dst, from, to)
	want := []int16{600, 200, -200, -600}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("crossfade %v, want %v", dst, want)
		}
	}
	crossfade(from, from, to) // in place
	if from[0] != 600 || from[3] != -600 {
		t.Fatalf("in place %v", from)
	}
}

func TestTimeScalerDoesNotAllocate(t *testing.T) {
	ts := newTimeScaler(testRate)
	src := tone(440, 8000, 0, 960)
	dst := make([]int16, 960+ts.maxLag)
	if a := testing.AllocsPerRun(20, func() {
		ts.accelerate(dst, src, ts.maxLag)
		ts.expand(dst, src, ts.maxLag)
	}); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}

func BenchmarkTimeScalerAccelerate(b *testing.B) {
	ts := newTimeScaler(testRate)
	src := tone(440, 8000, 0, 960)
	dst := make([]int16, 960)
	for b.Loop() {
		ts.accelerate(dst, src, ts.maxLag)
	}
}
