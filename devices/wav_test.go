package devices

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// wavChunk is one RIFF chunk for building test files.
type wavChunk struct {
	id   string
	body []byte
}

// buildWAV assembles a RIFF/WAVE file from chunks, padding odd ones.
func buildWAV(chunks ...wavChunk) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF\x00\x00\x00\x00WAVE")
	for _, c := range chunks {
		b.WriteString(c.id)
		_ = binary.Write(&b, binary.LittleEndian, uint32(len(c.body)))
		b.Write(c.body)
		if len(c.body)%2 == 1 {
			b.WriteByte(0)
		}
	}
	out := b.Bytes()
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

func wavFmt(format, channels, rate, bits int) wavChunk {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b[0:], uint16(format))
	binary.LittleEndian.PutUint16(b[2:], uint16(channels))
	binary.LittleEndian.PutUint32(b[4:], uint32(rate))
	binary.LittleEndian.PutUint32(b[8:], uint32(rate*channels*bits/8))
	binary.LittleEndian.PutUint16(b[12:], uint16(channels*bits/8))
	binary.LittleEndian.PutUint16(b[14:], uint16(bits))
	return wavChunk{"fmt ", b}
}

func wavData(pcm []int16) wavChunk {
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return wavChunk{"data", b}
}

// encodeWAV is a plain 16-bit PCM WAV file of interleaved samples.
func encodeWAV(pcm []int16, rate, channels int) []byte {
	return buildWAV(wavFmt(wavFormatPCM, channels, rate, 16), wavData(pcm))
}

func wavExtensible(channels, rate int) wavChunk {
	c := wavFmt(wavFormatExtensible, channels, rate, 16)
	ext := make([]byte, 24)
	binary.LittleEndian.PutUint16(ext[0:], 22) // cbSize
	binary.LittleEndian.PutUint16(ext[2:], 16) // valid bits
	binary.LittleEndian.PutUint16(ext[8:], wavFormatPCM)
	c.body = append(c.body, ext...)
	return c
}

var wavCases = []struct {
	name     string
	file     []byte
	err      string // "" for a valid file
	rate, ch int
	samples  int
}{
	{name: "mono", file: encodeWAV([]int16{1, -2, 3}, 48000, 1), rate: 48000, ch: 1, samples: 3},
	{name: "stereo", file: encodeWAV([]int16{1, 2, 3, 4}, 16000, 2), rate: 16000, ch: 2, samples: 4},
	{name: "stereo, half a frame left over", file: encodeWAV([]int16{1, 2, 3}, 16000, 2), rate: 16000, ch: 2, samples: 2},
	{name: "odd chunk before fmt", file: buildWAV(wavChunk{"LIST", []byte("abc")}, wavFmt(1, 1, 8000, 16), wavData([]int16{7})),
		rate: 8000, ch: 1, samples: 1},
	{name: "extensible", file: buildWAV(wavExtensible(2, 44100), wavData([]int16{1, 2})), rate: 44100, ch: 2, samples: 2},
	{name: "not riff", file: []byte("RIFX\x00\x00\x00\x00WAVE"), err: "not a RIFF/WAVE file"},
	{name: "empty", file: nil, err: "not a RIFF/WAVE file"},
	{name: "8 bit", file: buildWAV(wavFmt(1, 1, 8000, 8), wavData(nil)), err: "want 16-bit PCM"},
	{name: "float", file: buildWAV(wavFmt(3, 1, 8000, 16), wavData(nil)), err: "want 16-bit PCM"},
	{name: "3 channels", file: buildWAV(wavFmt(1, 3, 8000, 16), wavData(nil)), err: "3 channels"},
	{name: "4 kHz", file: buildWAV(wavFmt(1, 1, 4000, 16), wavData(nil)), err: "at 4000 Hz"},
	{name: "data before fmt", file: buildWAV(wavData([]int16{1}), wavFmt(1, 1, 8000, 16)), err: "data before fmt"},
	{name: "no data", file: buildWAV(wavFmt(1, 1, 8000, 16)), err: "no data chunk"},
	{name: "short fmt", file: buildWAV(wavChunk{"fmt ", make([]byte, 14)}), err: "fmt chunk of 14 bytes"},
	{name: "chunk overruns", file: []byte("RIFF\x00\x00\x00\x00WAVELIST\xff\x00\x00\x00ab"), err: "overruns the file"},
	{name: "data overruns", file: encodeWAV([]int16{1, 2}, 8000, 1)[:46], err: "overruns the file"},
}

func TestDecodeWAV(t *testing.T) {
	for _, tc := range wavCases {
		pcm, f, err := DecodeWAV(tc.file)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if f.SampleRate != tc.rate || f.Channels != tc.ch || len(pcm) != tc.samples {
			t.Errorf("%s: %d Hz × %d, %d samples; want %d Hz × %d, %d samples",
				tc.name, f.SampleRate, f.Channels, len(pcm), tc.rate, tc.ch, tc.samples)
		}
		if len(pcm) > 0 && pcm[0] != int16(binary.LittleEndian.Uint16(tc.file[f.DataOffset:])) {
			t.Errorf("%s: first sample %d does not come from offset %d", tc.name, pcm[0], f.DataOffset)
		}
	}
}

func FuzzDecodeWAV(f *testing.F) {
	for _, tc := range wavCases {
		f.Add(tc.file)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pcm, wf, err := DecodeWAV(b)
		if err != nil {
			return
		}
		if wf.SampleRate < 8000 || wf.SampleRate > 192000 || wf.Channels < 1 || wf.Channels > 2 ||
			len(pcm)%wf.Channels != 0 || len(pcm) > len(b)/2 || wf.DataOffset+wf.DataSize > int64(len(b)) {
			t.Fatalf("accepted %+v, %d samples from %d bytes", wf, len(pcm), len(b))
		}
	})
}
