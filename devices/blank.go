package devices

import (
	"fmt"
	"image"
	"time"
)

// blankSource sends black frames at a camera's size and rate: it stands in
// for a camera that went away when there is no other, so the encoders
// reading the camera go on and a camera switched to later reaches the peer.
// Read must not be called concurrently with itself; Close may be called
// from any goroutine.
type blankSource struct {
	id    string
	frame *image.YCbCr // immutable
	pacer *pacer
}

func newBlankSource(width, height, fps int) *blankSource {
	interval := time.Second / time.Duration(max(fps, 1))
	return &blankSource{
		id:    fmt.Sprintf("duet-no-camera-%d", syntheticSeq.Add(1)),
		frame: blackFrame(image.Rect(0, 0, max(width, 2), max(height, 2))),
		pacer: newPacer(interval, 2*interval),
	}
}

func (b *blankSource) ID() string { return b.id }

func (b *blankSource) Close() error {
	b.pacer.close()
	return nil
}

func (b *blankSource) Read() (image.Image, func(), error) {
	if _, err := b.pacer.wait(); err != nil {
		return nil, func() {}, err
	}
	return b.frame, func() {}, nil
}
