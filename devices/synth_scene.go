package devices

import (
	"fmt"
	"image"
	"math"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/io/video"
)

// Scene is a synthetic camera that costs an encoder what a real webcam in a
// room does: a detailed background (walls, shelves, books, fine grain) that
// the camera pans across, textured objects moving in front of it (a head
// that sways and leans towards the camera and back, a hand, a mug), and
// sensor noise that changes every frame. VP8 with Duet's tuning needs about
// 2 Mbit/s for it at 640×480@30 when the bitrate is not limited, where
// TestPattern needs about 250 kbit/s.
//
// The top of the picture carries a frame stamp (see ReadFrameStamp) on a
// flat band as deep as the first row of 16-pixel macroblocks, free of noise,
// so the stamp reads back at low bitrates. Frame n depends only on n and
// the size, so every Scene of one size shows the same pictures.
//
// Scene implements mediadevices.VideoSource. Read must not be called
// concurrently with itself (mediadevices serialises it); Close may be called
// from any goroutine, more than once, and makes a pending Read return io.EOF.
// Every frame is a fresh image the caller may keep.
type Scene struct {
	id            string
	width, height int
	fps           int
	pacer         *pacer
	assets        *sceneAssets

	mu    sync.Mutex
	frame uint32 // guarded by mu
}

var _ video.Reader = (*Scene)(nil)

const (
	sceneSeed = 0x5eed
	// sceneMargin: the background is larger than the frame by 1/sceneMargin
	// of it on each side, the room the camera pans in.
	sceneMargin = 8
	// sceneLean is how much smaller the head gets when it leans back.
	sceneLean = 0.15
	// Sensor noise: the standard deviation of each of the two noise planes
	// added to a frame, in 8-bit levels, so a pixel is off by a level or
	// two here and there. VP8 at its finest quantiser codes every level of
	// noise (at 0.45 the scene alone needs 5 Mbit/s), so this is what sets
	// the scene to about 2 Mbit/s at 640×480@30, like a webcam.
	sceneLumaNoise   = 0.25
	sceneChromaNoise = 0.2
)

// NewScene returns a scene of the given even size (at least MinStampWidth
// wide, and tall enough for the stamp) at fps frames per second. The first
// Scene of a size takes some tens of milliseconds to build its background.
func NewScene(width, height, fps int) (*Scene, error) {
	if width < MinStampWidth || height < 2*StampHeight(width) || width > 4096 || height > 4096 ||
		width%2 != 0 || height%2 != 0 {
		return nil, fmt.Errorf("synthetic scene %dx%d: %w: size must be even, %d..4096 wide and at least %d high",
			width, height, ErrInvalidConfig, MinStampWidth, 2*StampHeight(width))
	}
	if fps < 1 || fps > 120 {
		return nil, fmt.Errorf("synthetic scene %d fps: %w: want 1..120", fps, ErrInvalidConfig)
	}
	interval := time.Second / time.Duration(fps)
	return &Scene{
		id:     fmt.Sprintf("duet-scene-%d", syntheticSeq.Add(1)),
		width:  width,
		height: height,
		fps:    fps,
		pacer:  newPacer(interval, 2*interval),
		assets: sceneAssetsFor(width, height),
	}, nil
}

// sceneMargins is the panning room on each side, even so that chroma stays
// aligned with luma.
func sceneMargins(w, h int) (mx, my int) { return (w / sceneMargin) &^ 1, (h / sceneMargin) &^ 1 }

// stampGuard is the height of the flat band at the top that holds the
// stamp: the stamp rounded up to whole 16-pixel macroblocks, so that no
// block mixes stamp cells with scene detail, but at most half the frame.
func stampGuard(width, height int) int { return min((StampHeight(width)+15)&^15, height/2&^1) }

// ID identifies the source; mediadevices uses it as the track ID.
func (s *Scene) ID() string { return s.id }

// Close stops the scene. It always returns nil.
func (s *Scene) Close() error {
	s.pacer.close()
	return nil
}

// Read waits for the next frame time and returns the frame.
func (s *Scene) Read() (image.Image, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.pacer.wait(); err != nil {
		return nil, func() {}, err
	}
	img := s.render(s.frame, time.Now())
	s.frame++
	return img, func() {}, nil
}

// render draws frame n stamped with captured. It does not touch s's mutable
// state, so benchmarks and tests may call it directly.
func (s *Scene) render(n uint32, captured time.Time) *image.YCbCr {
	w, h := s.width, s.height
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	guard := stampGuard(w, h)
	t := float64(n) / float64(s.fps)

	// The camera pans slowly around the middle of the background, in whole
	// pixels: a real pan is smooth, but whole pixels keep it cheap to draw,
	// and the moving objects keep the encoder's motion search busy.
	mx, my := sceneMargins(w, h)
	ox := mx + int(math.Round(0.8*float64(mx)*math.Sin(2*math.Pi*t/20)))&^1
	oy := my + int(math.Round(0.8*float64(my)*math.Sin(2*math.Pi*t/16+1)))&^1
	a := s.assets
	bg := a.bg
	for y := guard; y < h; y++ {
		copy(img.Y[y*img.YStride:y*img.YStride+w], bg.y.pix[(oy+y)*bg.y.w+ox:])
	}
	for y := guard / 2; y < h/2; y++ {
		src := (oy/2+y)*bg.cb.w + ox/2
		copy(img.Cb[y*img.CStride:y*img.CStride+w/2], bg.cb.pix[src:])
		copy(img.Cr[y*img.CStride:y*img.CStride+w/2], bg.cr.pix[src:])
	}

	// Things in front of the camera: a head swaying, bobbing and leaning
	// back and forth (a slow zoom of its own), a hand waving, a mug sliding
	// to and fro.
	fw, fh := float64(w), float64(h)
	poses := [len(a.sprites)]struct{ x, y, scale float64 }{
		{0.5*fw + 0.12*fw*math.Sin(2*math.Pi*t/7), 0.55*fh + 0.04*fh*math.Sin(2*math.Pi*t/3.3),
			1 - sceneLean*(1-math.Cos(2*math.Pi*t/5))/2},
		{0.5*fw + 0.15*fw*math.Sin(2*math.Pi*t/3+2), 0.6*fh + 0.1*fh*math.Sin(2*math.Pi*t/4), 1},
		{0.5*fw + 0.35*fw*math.Sin(2*math.Pi*t/5.3+4), 0.85 * fh, 1},
	}
	frame := sceneFrame{y: img.Y, cb: img.Cb, cr: img.Cr, yStride: img.YStride, cStride: img.CStride, w: w, h: h}
	for i, p := range poses {
		a.sprites[i].draw(frame, guard, int(p.x*fixOne), int(p.y*fixOne), int(p.scale*fixOne))
	}

	// The sensor's noise, then the stamp on its flat band.
	a.lumaNz.apply(img.Y[guard*img.YStride:], n, 16, 235)
	a.chromaNz.apply(img.Cb[guard/2*img.CStride:], 2*n, 16, 240)
	a.chromaNz.apply(img.Cr[guard/2*img.CStride:], 2*n+1, 16, 240)
	fillRect(img, image.Rect(0, 0, w, guard), 40, 128, 128)
	WriteFrameStamp(img, n, captured)
	return img
}
