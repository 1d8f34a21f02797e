package devices

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/wave"
)

// toneWAV is seconds of a freq-Hz sine at rate, on every channel.
func toneWAV(freq float64, rate, channels int, seconds float64) []byte {
	n := int(seconds * float64(rate))
	pcm := make([]int16, n*channels)
	for i := range n {
		v := int16(math.Round(ToneAmplitude * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
		for ch := range channels {
			pcm[i*channels+ch] = v
		}
	}
	return encodeWAV(pcm, rate, channels)
}

// Every rate and channel count comes out as the same 48 kHz mono tone,
// also across the loop.
func TestWAVSourceConverts(t *testing.T) {
	for _, tc := range []struct{ rate, ch int }{{48000, 1}, {16000, 2}, {44100, 1}, {8000, 1}, {96000, 2}} {
		// Half a second of 440 Hz is 220 whole periods: the loop is seamless.
		path := writeFile(t, filepath.Join(t.TempDir(), "in.wav"), toneWAV(440, tc.rate, tc.ch, 0.5))
		src, err := NewWAVSource(path)
		if err != nil {
			t.Fatal(err)
		}
		if f := src.Format(); f.SampleRate != tc.rate || f.Channels != tc.ch {
			t.Errorf("format %+v", f)
		}
		var pcm []int16
		for range 60 { // 1.2 s: loops twice
			c, err := src.chunkLocked()
			if err != nil {
				t.Fatal(err)
			}
			if c.Size.Len != 960 || c.Size.Channels != 1 || c.Size.SamplingRate != 48000 {
				t.Fatalf("chunk %+v", c.Size)
			}
			pcm = append(pcm, c.Data...)
		}
		src.Close()
		rep, err := AnalyzePCM(pcm, 48000, 1)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(rep.Frequency-440) > 0.5 || math.Abs(rep.RMS-ToneAmplitude/math.Sqrt2) > 0.01 {
			t.Errorf("%d Hz × %d: %.2f Hz at RMS %.4f, want 440 Hz at %.4f",
				tc.rate, tc.ch, rep.Frequency, rep.RMS, ToneAmplitude/math.Sqrt2)
		}
	}
}

func TestWAVSourcePacesAndCloses(t *testing.T) {
	checkGoroutines(t)
	path := writeFile(t, filepath.Join(t.TempDir(), "in.wav"), toneWAV(440, 48000, 1, 0.1))
	src, err := NewWAVSource(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for range 10 {
		c, _, err := src.Read()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.(*wave.Int16Interleaved); !ok {
			t.Fatalf("chunk is %T", c)
		}
	}
	if el, want := time.Since(start), 9*toneChunk; el < want-5*time.Millisecond {
		t.Errorf("10 chunks took %v, want at least %v", el, want)
	}
	// Reads every 20 ms until Close ends them.
	checkCloseUnblocks(t, src.Close, func() error {
		for {
			if _, _, err := src.Read(); err != nil {
				return err
			}
		}
	})
}

// Files without 16-bit PCM samples fail, naming the file.
func TestWAVSourceRejects(t *testing.T) {
	dir := t.TempDir()
	for path, want := range map[string]string{
		writeFile(t, filepath.Join(dir, "x.wav"), []byte("hello")):                    "not a RIFF/WAVE file",
		writeFile(t, filepath.Join(dir, "silent.wav"), encodeWAV(nil, 48000, 1)):      "no samples",
		writeFile(t, filepath.Join(dir, "8bit.wav"), buildWAV(wavFmt(1, 1, 8000, 8))): "want 16-bit PCM",
		writeFile(t, filepath.Join(dir, "half.wav"), encodeWAV([]int16{1}, 48000, 2)): "no samples",
		filepath.Join(dir, "missing.wav"):                                             "no such file",
	} {
		if _, err := NewWAVSource(path); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming the file and containing %q", path, err, want)
		}
	}
}

// A file whose data chunk claims more than it holds (a recording cut off)
// plays what it holds.
func TestWAVSourceShortData(t *testing.T) {
	b := toneWAV(440, 48000, 1, 0.25)
	b = b[:len(b)-1000]
	src, err := NewWAVSource(writeFile(t, filepath.Join(t.TempDir(), "cut.wav"), b))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for range 30 { // loops
		if _, err := src.chunkLocked(); err != nil {
			t.Fatal(err)
		}
	}
}
