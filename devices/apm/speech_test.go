package apm_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"duet/devices"
)

const rate = 48000

// speechLike is a talker the test makes: voiced syllables of 120 to 320 ms
// (a glottal pulse train, its harmonics shaped by two formants that move
// from syllable to syllable, the pitch gliding), a little breath noise,
// short gaps between syllables and longer pauses between phrases. It has
// speech's spectrum, rhythm and silences, which an echo canceller's
// double-talk and noise estimates depend on; a tone has none of them.
func speechLike(d time.Duration, pitch float64, seed uint64) []float64 {
	k := talker{d, pitch, seed}
	talkers.Lock()
	defer talkers.Unlock()
	x, ok := talkers.made[k]
	if !ok {
		x = makeSpeechLike(d, pitch, seed)
		talkers.made[k] = x
	}
	return append([]float64(nil), x...)
}

type talker struct {
	d     time.Duration
	pitch float64
	seed  uint64
}

// talkers keeps the talkers made so far: the same arguments make the same
// talker, and making one is most of a rig run's time.
var talkers = struct {
	sync.Mutex
	made map[talker][]float64 // guarded by the mutex
}{made: map[talker][]float64{}}

func makeSpeechLike(d time.Duration, pitch float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]float64, int(d.Seconds()*rate))
	var phase float64
	for i := 0; i < len(out); {
		if rng.Float64() < 0.15 {
			i += int((0.3 + 0.3*rng.Float64()) * rate) // a pause between phrases
			continue
		}
		n := min(int((0.12+0.2*rng.Float64())*rate), len(out)-i)
		f1, f2 := 300+600*rng.Float64(), 900+1600*rng.Float64()
		glide := (rng.Float64() - 0.5) * 0.3 * pitch
		for j := range n {
			t := float64(j) / float64(n)
			f0 := pitch + glide*t
			phase += f0 / rate
			env := math.Sin(math.Pi * t) // the syllable's rise and fall
			var v float64
			for k := 1; float64(k)*f0 < 4000; k++ {
				f := float64(k) * f0
				formant := math.Exp(-sq((f-f1)/150)) + 0.6*math.Exp(-sq((f-f2)/250)) + 0.05
				v += formant / math.Sqrt(float64(k)) * math.Sin(2*math.Pi*float64(k)*phase)
			}
			v += 0.05 * rng.NormFloat64() // breath
			out[i+j] = 0.12 * env * v
		}
		i += n + int((0.03+0.1*rng.Float64())*rate)
	}
	return out
}

func sq(x float64) float64 { return x * x }

// throughWAV writes samples to a WAV file and reads them back as the
// processor will get them: 16-bit PCM.
func throughWAV(t testing.TB, name string, x []float64) []int16 {
	t.Helper()
	pcm := toPCM(x)
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+2*len(pcm)))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(2*len(pcm)))
	binary.Write(&b, binary.LittleEndian, pcm)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, f, err := devices.DecodeWAV(raw)
	if err != nil || f.SampleRate != rate || f.Channels != 1 {
		t.Fatalf("read back %s: %v (%+v)", name, err, f)
	}
	return got
}

func toPCM(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(-32768, min(32767, math.Round(v*32767))))
	}
	return out
}

func toFloat(x []int16) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v) / 32767
	}
	return out
}

// room is the echo path from the speaker to the microphone: the direct
// sound after delay, a few reflections, attenuated, and the speaker's and
// room's loss of treble (a one-pole low-pass).
func room(far []float64, delay time.Duration, gain float64) []float64 {
	d := int(delay.Seconds() * rate)
	taps := []struct {
		ms   float64
		gain float64
	}{{0, 1}, {5, 0.5}, {11, -0.3}, {23, 0.2}, {37, 0.1}}
	out := make([]float64, len(far))
	for _, tap := range taps {
		off := d + int(tap.ms*rate/1000)
		for i := off; i < len(out); i++ {
			out[i] += gain * tap.gain * far[i-off]
		}
	}
	var y float64
	for i, v := range out {
		y += 0.5 * (v - y)
		out[i] = y
	}
	return out
}

// noise is a stationary hum and hiss at about level dBFS RMS.
func noise(n int, level float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 9))
	out := make([]float64, n)
	amp := math.Pow(10, level/20)
	var pink float64
	for i := range out {
		pink = 0.95*pink + 0.05*rng.NormFloat64()
		hum := math.Sin(2 * math.Pi * 100 * float64(i) / rate)
		out[i] = amp * (2.5*pink + 0.3*rng.NormFloat64() + 0.3*hum)
	}
	return out
}

func add(xs ...[]float64) []float64 {
	out := make([]float64, len(xs[0]))
	for _, x := range xs {
		for i := range out {
			out[i] += x[i]
		}
	}
	return out
}

// gated is x only from from to to, silence elsewhere.
func gated(x []float64, from, to time.Duration) []float64 {
	out := make([]float64, len(x))
	a, b := int(from.Seconds()*rate), min(int(to.Seconds()*rate), len(x))
	copy(out[a:b], x[a:b])
	return out
}

// power is the mean square of x over [from, to).
func power(x []float64, from, to time.Duration) float64 {
	a, b := int(from.Seconds()*rate), min(int(to.Seconds()*rate), len(x))
	var s float64
	for _, v := range x[a:b] {
		s += v * v
	}
	return s / float64(max(b-a, 1))
}

func db(ratio float64) float64 { return 10 * math.Log10(ratio) }

// correlation is Pearson's r of what was said (a) and what came out (b)
// over [from, to), with b taken at the lag behind a, up to maxLag, where r
// is greatest; it returns r and that lag. The processor's blocks and
// overlap-add delay its output (8 ms for the echo canceller, 6 ms more
// for the noise suppressor at 48 kHz): a listener hears that as latency,
// not as a changed voice, so the voice is compared where it comes out.
// The lag is found on every 16th sample, then r is taken on all of them.
func correlation(a, b []float64, from, to, maxLag time.Duration) (float64, time.Duration) {
	lo, hi := int(from.Seconds()*rate), min(int(to.Seconds()*rate), len(a), len(b))
	best, lag := -1.0, 0
	for l := 0; l <= int(maxLag.Seconds()*rate); l++ {
		if r := pearson(a, b, lo, hi, l, 16); r > best {
			best, lag = r, l
		}
	}
	best = -1
	for l := max(lag-8, 0); l <= lag+8; l++ {
		if r := pearson(a, b, lo, hi, l, 1); r > best {
			best, lag = r, l
		}
	}
	return best, time.Duration(lag) * time.Second / rate
}

// pearson is r of a[i] and b[i+lag] for i from lo in steps of step while
// i+lag < hi.
func pearson(a, b []float64, lo, hi, lag, step int) float64 {
	var sa, sb, sab, saa, sbb float64
	n := 0
	for i := lo; i+lag < hi; i += step {
		x, y := a[i], b[i+lag]
		sa, sb, sab, saa, sbb = sa+x, sb+y, sab+x*y, saa+x*x, sbb+y*y
		n++
	}
	fn := float64(n)
	return (sab - sa*sb/fn) / math.Sqrt((saa-sa*sa/fn)*(sbb-sb*sb/fn))
}
