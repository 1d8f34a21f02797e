package devices

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/wave"
)

// fileAudioRate is what a WAVSource delivers, whatever the file's rate: the
// rate Opus and the microphones run at.
const fileAudioRate = 48000

// WAVSource is a microphone that plays a WAV file, like Chromium's
// --use-file-for-fake-audio-capture: 16-bit PCM, mono or stereo, at any
// rate from 8 to 192 kHz, delivered as 48 kHz mono in 20 ms chunks in real
// time and looped forever. Stereo is mixed down; another rate is converted
// by linear interpolation, without a low-pass filter, which is plenty for
// test tones and speech but lets some aliasing through when rates above
// 48 kHz are brought down. The file is read a little at a time.
//
// WAVSource implements mediadevices.AudioSource. Read must not be called
// concurrently with itself; Close may be called from any goroutine, more
// than once, makes a pending Read return io.EOF and closes the file.
type WAVSource struct {
	id      string
	path    string
	format  WAVFormat
	dataLen int64 // bytes of whole frames in the data chunk, > 0
	pacer   *pacer

	mu   sync.Mutex
	f    *os.File      // guarded by mu; nil once closed
	r    *bufio.Reader // guarded by mu
	left int64         // guarded by mu: data bytes left before looping
	// Linear interpolation between input samples a and b, phase (0..1)
	// of the way from a to b; guarded by mu.
	a, b  float64
	phase float64
}

var _ audio.Reader = (*WAVSource)(nil)

// NewWAVSource opens a 16-bit PCM WAV file and checks that it holds
// samples. Errors name the file.
func NewWAVSource(path string) (*WAVSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open audio file: %w", err)
	}
	s, err := newWAVSource(path, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audio file %s: %w", path, err)
	}
	return s, nil
}

func newWAVSource(path string, f *os.File) (*WAVSource, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	r := bufio.NewReaderSize(f, 16<<10)
	wf, err := ReadWAVHeader(r)
	if err != nil {
		return nil, err
	}
	// A recorder that was cut off may never have written the data size;
	// what the file holds is what plays.
	n := min(wf.DataSize, st.Size()-wf.DataOffset)
	n -= n % int64(wf.FrameBytes())
	if n <= 0 {
		return nil, errors.New("no samples in the file")
	}
	s := &WAVSource{
		id:      fmt.Sprintf("duet-wav-%d", syntheticSeq.Add(1)),
		path:    path,
		format:  wf,
		dataLen: n,
		pacer:   newPacer(toneChunk, 200*time.Millisecond),
		f:       f,
		r:       r,
		left:    n,
	}
	if s.a, err = s.nextLocked(); err != nil {
		return nil, err
	}
	if s.b, err = s.nextLocked(); err != nil {
		return nil, err
	}
	return s, nil
}

// Format returns what the file's header says.
func (s *WAVSource) Format() WAVFormat { return s.format }

// ID identifies the source; mediadevices uses it as the track ID.
func (s *WAVSource) ID() string { return s.id }

// Close stops the source and closes the file. It returns the file's close
// error the first time and nil after.
func (s *WAVSource) Close() error {
	s.pacer.close() // a Read waiting for its period gives up mu
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f, s.r = nil, nil
	return err
}

// Read waits for the next 20 ms period and returns it.
func (s *WAVSource) Read() (wave.Audio, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.pacer.wait(); err != nil {
		return nil, func() {}, err
	}
	if s.f == nil {
		return nil, func() {}, io.EOF
	}
	chunk, err := s.chunkLocked()
	if err != nil {
		return nil, func() {}, fmt.Errorf("read audio file %s: %w", s.path, err)
	}
	return chunk, func() {}, nil
}

// chunkLocked converts the next 20 ms.
func (s *WAVSource) chunkLocked() (*wave.Int16Interleaved, error) {
	n := int(int64(fileAudioRate) * int64(toneChunk) / int64(time.Second))
	chunk := wave.NewInt16Interleaved(wave.ChunkInfo{Len: n, Channels: 1, SamplingRate: fileAudioRate})
	step := float64(s.format.SampleRate) / fileAudioRate
	for i := range n {
		for s.phase >= 1 {
			next, err := s.nextLocked()
			if err != nil {
				return nil, err
			}
			s.a, s.b = s.b, next
			s.phase--
		}
		v := s.a + (s.b-s.a)*s.phase
		chunk.Data[i] = int16(math.Round(min(max(v, -32768), 32767)))
		s.phase += step
	}
	return chunk, nil
}

// nextLocked reads the next input frame mixed down to mono, starting over
// at the end of the data.
func (s *WAVSource) nextLocked() (float64, error) {
	if s.left == 0 {
		if _, err := s.f.Seek(s.format.DataOffset, io.SeekStart); err != nil {
			return 0, fmt.Errorf("rewind: %w", err)
		}
		s.r.Reset(s.f)
		s.left = s.dataLen
	}
	var buf [4]byte
	frame := buf[:s.format.FrameBytes()]
	if _, err := io.ReadFull(s.r, frame); err != nil {
		return 0, err // the file shrank under us
	}
	s.left -= int64(len(frame))
	var sum float64
	for ch := range s.format.Channels {
		sum += float64(int16(binary.LittleEndian.Uint16(frame[2*ch:])))
	}
	return sum / float64(s.format.Channels), nil
}
