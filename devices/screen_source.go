package devices

import (
	"fmt"
	"image"
	"io"
	"sync"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// screenSource is one X11 screen, read through mediadevices' screen driver
// at screenFPS. The driver is used directly rather than through
// GetUserMedia so that closing it is safe: the driver frees its X11 image
// on Close while a read may be using it, and its reads wait on a ticker
// that Close stops for good. Here Close waits for the read under way and
// later reads fail without touching the driver.
//
// screenSource implements mediadevices.VideoSource. Every frame is a fresh
// 4:2:0 image the caller may keep (the driver reuses one buffer).
// screenDriverMu serialises opening and closing screen drivers, whose
// state mediadevices keeps unguarded. GetUserMedia never touches them, so
// driverMu, which closeTrack holds while a track closes its source, is not
// needed.
var screenDriverMu sync.Mutex

type screenSource struct {
	id string
	d  driver.Driver

	mu sync.Mutex   // held across a read, so Close waits for it
	r  video.Reader // guarded by mu; nil once closed
}

func openScreen(id string) (*screenSource, error) {
	d, err := findScreen(id)
	if err != nil {
		return nil, err
	}
	rec, ok := d.(driver.VideoRecorder)
	if !ok {
		return nil, fmt.Errorf("share screen %s: %w: the driver records no video", id, ErrNoScreen)
	}
	screenDriverMu.Lock()
	defer screenDriverMu.Unlock()
	if err := d.Open(); err != nil {
		return nil, fmt.Errorf("share screen %s: %w: %v", id, ErrNoScreen, err)
	}
	r, err := rec.VideoRecord(prop.Media{Video: prop.Video{FrameRate: screenFPS}})
	if err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("share screen %s: %w: %v", id, ErrNoScreen, err)
	}
	return &screenSource{id: d.Info().Label, d: d, r: r}, nil
}

func (s *screenSource) ID() string { return s.id }

func (s *screenSource) Read() (image.Image, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return nil, nil, io.EOF
	}
	img, release, err := s.r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("read screen %s: %w", s.id, err)
	}
	defer release()
	rgba, ok := img.(*image.RGBA)
	if !ok {
		return nil, nil, fmt.Errorf("read screen %s: unexpected frame %T", s.id, img)
	}
	return rgbaToI420(rgba), func() {}, nil
}

// Close releases the display. It is idempotent.
func (s *screenSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return nil
	}
	s.r = nil
	screenDriverMu.Lock()
	defer screenDriverMu.Unlock()
	return s.d.Close()
}

// rgbaToI420 converts with BT.601 limited range, as cameras and decoders
// take it; chroma is the average of each 2×2 block. Odd edges are dropped.
func rgbaToI420(src *image.RGBA) *image.YCbCr {
	w, h := src.Rect.Dx()&^1, src.Rect.Dy()&^1
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y += 2 {
		top := src.Pix[y*src.Stride : y*src.Stride+4*w]
		bottom := src.Pix[(y+1)*src.Stride : (y+1)*src.Stride+4*w]
		yTop := dst.Y[y*dst.YStride : y*dst.YStride+w]
		yBottom := dst.Y[(y+1)*dst.YStride : (y+1)*dst.YStride+w]
		cb := dst.Cb[(y/2)*dst.CStride : (y/2)*dst.CStride+w/2]
		cr := dst.Cr[(y/2)*dst.CStride : (y/2)*dst.CStride+w/2]
		for x := 0; x < w; x += 2 {
			i := 4 * x
			r0, g0, b0 := int(top[i]), int(top[i+1]), int(top[i+2])
			r1, g1, b1 := int(top[i+4]), int(top[i+5]), int(top[i+6])
			r2, g2, b2 := int(bottom[i]), int(bottom[i+1]), int(bottom[i+2])
			r3, g3, b3 := int(bottom[i+4]), int(bottom[i+5]), int(bottom[i+6])
			yTop[x] = luma601(r0, g0, b0)
			yTop[x+1] = luma601(r1, g1, b1)
			yBottom[x] = luma601(r2, g2, b2)
			yBottom[x+1] = luma601(r3, g3, b3)
			r, g, b := (r0+r1+r2+r3+2)/4, (g0+g1+g2+g3+2)/4, (b0+b1+b2+b3+2)/4
			cb[x/2] = uint8((-38*r-74*g+112*b+128)>>8 + 128)
			cr[x/2] = uint8((112*r-94*g-18*b+128)>>8 + 128)
		}
	}
	return dst
}

func luma601(r, g, b int) uint8 { return uint8((66*r+129*g+25*b+128)>>8 + 16) }
