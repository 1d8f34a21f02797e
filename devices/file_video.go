package devices

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/io/video"
)

// Y4MSource is a camera that plays a YUV4MPEG2 (.y4m) file, like Chromium's
// --use-file-for-fake-video-capture: frames at the file's size and frame
// rate, in real time, looped forever. Each frame gets a frame stamp (see
// ReadFrameStamp) painted over the top StampHeight rows of the picture, so
// glass-to-glass latency can be measured as with the synthetic cameras;
// that band of the file's picture is not seen. The file is read a frame at
// a time, so its length does not matter.
//
// Y4MSource implements mediadevices.VideoSource. Read must not be called
// concurrently with itself (mediadevices serialises it); Close may be called
// from any goroutine, more than once, makes a pending Read return io.EOF and
// closes the file. Every frame is a fresh image the caller may keep.
type Y4MSource struct {
	id     string
	path   string
	header Y4MHeader
	first  int64 // file offset of the first frame header
	pacer  *pacer

	mu    sync.Mutex
	f     *os.File      // guarded by mu; nil once closed
	r     *bufio.Reader // guarded by mu
	frame uint32        // guarded by mu
}

var _ video.Reader = (*Y4MSource)(nil)

// NewY4MSource opens a YUV4MPEG2 file of 8-bit 4:2:0 frames (C420jpeg,
// C420, C420mpeg2, C420paldv or no C tag) and checks that it holds at
// least one whole frame. Errors name the file.
func NewY4MSource(path string) (*Y4MSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open video file: %w", err)
	}
	s, err := newY4MSource(path, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("video file %s: %w", path, err)
	}
	return s, nil
}

func newY4MSource(path string, f *os.File) (*Y4MSource, error) {
	r := bufio.NewReaderSize(f, 64<<10)
	line, err := readY4MLine(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file")
		}
		return nil, err
	}
	h, err := ParseY4MHeader(line)
	if err != nil {
		return nil, err
	}
	s := &Y4MSource{
		id:     fmt.Sprintf("duet-y4m-%d", syntheticSeq.Add(1)),
		path:   path,
		header: h,
		first:  int64(len(line) + 1),
		f:      f,
		r:      r,
	}
	// A file without one whole frame would only fail later, in a call.
	if _, err := s.readFrameLocked(); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no whole frame in the file")
		}
		return nil, err
	}
	if err := s.rewindLocked(); err != nil {
		return nil, err
	}
	interval := time.Duration(float64(time.Second) * float64(h.FPSDen) / float64(h.FPSNum))
	s.pacer = newPacer(interval, 2*interval)
	return s, nil
}

// Header returns what the file's header says.
func (s *Y4MSource) Header() Y4MHeader { return s.header }

// ID identifies the source; mediadevices uses it as the track ID.
func (s *Y4MSource) ID() string { return s.id }

// Close stops the source and closes the file. It returns the file's close
// error the first time and nil after.
func (s *Y4MSource) Close() error {
	s.pacer.close() // a Read waiting for its frame time gives up mu
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f, s.r = nil, nil
	return err
}

// Read waits for the next frame time and returns the next frame of the
// file, starting over at its end.
func (s *Y4MSource) Read() (image.Image, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.pacer.wait(); err != nil {
		return nil, func() {}, err
	}
	if s.f == nil {
		return nil, func() {}, io.EOF
	}
	img, err := s.readFrameLocked()
	if errors.Is(err, io.EOF) {
		// The end, or a last frame cut short: loop.
		if err = s.rewindLocked(); err == nil {
			img, err = s.readFrameLocked()
		}
	}
	if err != nil {
		return nil, func() {}, fmt.Errorf("read video file %s: %w", s.path, err)
	}
	WriteFrameStamp(img, s.frame, time.Now())
	s.frame++
	return img, func() {}, nil
}

// readFrameLocked reads one frame into a fresh image. It returns io.EOF at
// the end of the file, also when the last frame is incomplete.
func (s *Y4MSource) readFrameLocked() (*image.YCbCr, error) {
	line, err := readY4MLine(s.r)
	if err != nil {
		return nil, err
	}
	if line != "FRAME" && !strings.HasPrefix(line, "FRAME ") {
		return nil, fmt.Errorf("bad frame header %.20q", line)
	}
	h := s.header
	img := image.NewYCbCr(image.Rect(0, 0, h.Width, h.Height), image.YCbCrSubsampleRatio420)
	for _, p := range [][]byte{img.Y, img.Cb, img.Cr} {
		if _, err := io.ReadFull(s.r, p); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, io.EOF
			}
			return nil, err
		}
	}
	return img, nil
}

func (s *Y4MSource) rewindLocked() error {
	if _, err := s.f.Seek(s.first, io.SeekStart); err != nil {
		return fmt.Errorf("rewind: %w", err)
	}
	s.r.Reset(s.f)
	return nil
}
