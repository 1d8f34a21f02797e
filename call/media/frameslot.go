package media

import (
	"image"
	"sync"
	"time"
)

// Frame is one decoded picture. Its image is never written after it is stored.
type Frame struct {
	Image    *image.YCbCr
	Seq      uint64    // increases with every stored frame
	Decoded  time.Time // when decoding finished
	RTPTime  uint32    // the frame's RTP timestamp
	Received int       // bytes of the encoded frame
}

// FrameSlot holds only the newest decoded frame: a slow reader (the GUI at
// its redraw rate) skips frames instead of queueing them. Safe for
// concurrent use.
type FrameSlot struct {
	mu    sync.Mutex
	frame Frame // guarded by mu
}

func (s *FrameSlot) store(f Frame) Frame {
	s.mu.Lock()
	f.Seq = s.frame.Seq + 1
	s.frame = f
	s.mu.Unlock()
	return f
}

// Load returns the newest frame; Seq is 0 before the first frame. It never blocks
// for longer than a pointer copy.
func (s *FrameSlot) Load() Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frame
}
