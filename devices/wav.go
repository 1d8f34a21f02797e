package devices

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// WAVFormat describes the 16-bit PCM samples of a WAV file.
type WAVFormat struct {
	SampleRate int // 8000..192000 Hz
	Channels   int // 1 or 2, interleaved
	// DataOffset and DataSize locate the samples in the file, in bytes.
	// DataSize is what the file declares; a file cut short (or one written
	// by a recorder that never went back to fill it in) holds fewer.
	DataOffset int64
	DataSize   int64
}

// FrameBytes is the size of one sample frame (a sample of every channel).
func (f WAVFormat) FrameBytes() int { return 2 * f.Channels }

// WAV format codes and limits.
const (
	wavFormatPCM        = 1
	wavFormatExtensible = 0xfffe
	// maxWAVFmtChunk bounds the fmt chunk read into memory (the extensible
	// form is 40 bytes).
	maxWAVFmtChunk = 1024
)

// ReadWAVHeader reads a RIFF/WAVE header from r, skipping chunks it does
// not need, and stops at the start of the samples. Only 16-bit PCM, mono or
// stereo, at 8000..192000 Hz is accepted.
func ReadWAVHeader(r io.Reader) (WAVFormat, error) {
	var head [12]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || string(head[0:4]) != "RIFF" || string(head[8:12]) != "WAVE" {
		return WAVFormat{}, errors.New("read wav: not a RIFF/WAVE file")
	}
	var f WAVFormat
	haveFmt := false
	pos := int64(len(head))
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return WAVFormat{}, errors.New("read wav: no data chunk")
		}
		pos += 8
		id, size := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if size < 16 || size > maxWAVFmtChunk {
				return WAVFormat{}, fmt.Errorf("read wav: fmt chunk of %d bytes", size)
			}
			body := make([]byte, size)
			if _, err := io.ReadFull(r, body); err != nil {
				return WAVFormat{}, errors.New("read wav: fmt chunk overruns the file")
			}
			if err := parseWAVFmt(body, &f); err != nil {
				return WAVFormat{}, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return WAVFormat{}, errors.New("read wav: data before fmt")
			}
			f.DataOffset, f.DataSize = pos, size
			return f, nil
		default:
			if n, err := io.CopyN(io.Discard, r, size); err != nil || n != size {
				return WAVFormat{}, fmt.Errorf("read wav: chunk %q of %d bytes overruns the file", id, size)
			}
		}
		pos += size
		if size%2 == 1 { // chunks are padded to even sizes
			if _, err := io.CopyN(io.Discard, r, 1); err != nil {
				return WAVFormat{}, errors.New("read wav: no data chunk")
			}
			pos++
		}
	}
}

func parseWAVFmt(body []byte, f *WAVFormat) error {
	format, bits := binary.LittleEndian.Uint16(body[0:]), binary.LittleEndian.Uint16(body[14:])
	if format == wavFormatExtensible && len(body) >= 40 {
		format = binary.LittleEndian.Uint16(body[24:]) // the sub-format GUID starts with the code
	}
	f.Channels, f.SampleRate = int(binary.LittleEndian.Uint16(body[2:])), int(binary.LittleEndian.Uint32(body[4:]))
	if format != wavFormatPCM || bits != 16 {
		return fmt.Errorf("read wav: format %d with %d bits; want 16-bit PCM", format, bits)
	}
	if f.Channels < 1 || f.Channels > 2 || f.SampleRate < 8000 || f.SampleRate > 192000 {
		return fmt.Errorf("read wav: %d channels at %d Hz not supported; want mono or stereo at 8000..192000 Hz",
			f.Channels, f.SampleRate)
	}
	return nil
}

// DecodeWAV decodes a whole WAV file held in memory into interleaved
// samples (whole frames only). It accepts what ReadWAVHeader accepts and
// fails when the samples run past the end of b.
func DecodeWAV(b []byte) ([]int16, WAVFormat, error) {
	f, err := ReadWAVHeader(bytes.NewReader(b))
	if err != nil {
		return nil, WAVFormat{}, err
	}
	if f.DataSize > int64(len(b))-f.DataOffset {
		return nil, WAVFormat{}, fmt.Errorf("read wav: data chunk of %d bytes overruns the file", f.DataSize)
	}
	body := b[f.DataOffset : f.DataOffset+f.DataSize]
	pcm := make([]int16, len(body)/f.FrameBytes()*f.Channels)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
	}
	return pcm, f, nil
}
