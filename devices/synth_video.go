package devices

import (
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices/pkg/io/video"
)

var syntheticSeq atomic.Uint64

// TestPattern is a synthetic camera: colour bars, a bouncing box so the
// picture visibly moves, a bar along the bottom that fills once per second,
// and a frame stamp (see ReadFrameStamp) carrying the frame number and the
// capture time. Frames come at the configured rate in real time.
//
// TestPattern implements mediadevices.VideoSource. Read must not be called
// concurrently with itself (mediadevices serialises it); Close may be called
// from any goroutine, more than once, and makes a pending Read return io.EOF.
// Every frame is a fresh image the caller may keep.
type TestPattern struct {
	id            string
	width, height int
	fps           int
	pacer         *pacer
	background    *image.YCbCr // immutable after construction

	mu    sync.Mutex
	frame uint32 // guarded by mu
}

var _ video.Reader = (*TestPattern)(nil)

// NewTestPattern returns a test pattern of the given even size (at least
// MinStampWidth wide) at fps frames per second.
func NewTestPattern(width, height, fps int) (*TestPattern, error) {
	if width < MinStampWidth || height < 2*StampHeight(width) || width > 4096 || height > 4096 ||
		width%2 != 0 || height%2 != 0 {
		return nil, fmt.Errorf("test pattern %dx%d: %w: size must be even, %d..4096 wide and at least %d high",
			width, height, ErrInvalidConfig, MinStampWidth, 2*StampHeight(width))
	}
	if fps < 1 || fps > 120 {
		return nil, fmt.Errorf("test pattern %d fps: %w: want 1..120", fps, ErrInvalidConfig)
	}
	interval := time.Second / time.Duration(fps)
	return &TestPattern{
		id:         fmt.Sprintf("duet-test-pattern-%d", syntheticSeq.Add(1)),
		width:      width,
		height:     height,
		fps:        fps,
		pacer:      newPacer(interval, 2*interval),
		background: renderBars(width, height),
	}, nil
}

// ID identifies the source; mediadevices uses it as the track ID.
func (p *TestPattern) ID() string { return p.id }

// Close stops the pattern. It always returns nil.
func (p *TestPattern) Close() error {
	p.pacer.close()
	return nil
}

// Read waits for the next frame time and returns the frame.
func (p *TestPattern) Read() (image.Image, func(), error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.pacer.wait(); err != nil {
		return nil, func() {}, err
	}
	img := p.render(p.frame, time.Now())
	p.frame++
	return img, func() {}, nil
}

// render draws frame n stamped with captured. It does not touch p's mutable state.
func (p *TestPattern) render(n uint32, captured time.Time) *image.YCbCr {
	img := cloneYCbCr(p.background)
	w, h := p.width, p.height
	top := StampHeight(w)

	// Bouncing box: a triangle wave in x and y, 2 s across, 1.5 s down.
	size := max(h/6, 8) &^ 1
	fx := 2 * p.fps
	fy := 3 * p.fps / 2
	x := triangle(int(n), fx, w-size)
	y := top + triangle(int(n), max(fy, 1), h-top-size-h/24)
	fillRect(img, image.Rect(x, y, x+size, y+size), 235, uint8(64+(n*4)%128), uint8(192-(n*4)%128))

	// Seconds bar along the bottom: fills once per second.
	barH := max(h/24, 2) &^ 1
	barW := w * (int(n)%p.fps + 1) / p.fps
	fillRect(img, image.Rect(0, h-barH, barW, h), 180, 128, 128)

	WriteFrameStamp(img, n, captured)
	return img
}

// triangle maps step n of a period-long sweep onto 0..span..0.
func triangle(n, period, span int) int {
	if period <= 0 || span <= 0 {
		return 0
	}
	phase := n % (2 * period)
	if phase >= period {
		phase = 2*period - phase
	}
	return phase * span / period
}

// renderBars draws 75 % colour bars (BT.601 video range) below the stamp band.
func renderBars(w, h int) *image.YCbCr {
	bars := [...][3]uint8{
		{180, 128, 128}, // white
		{162, 44, 142},  // yellow
		{131, 156, 44},  // cyan
		{112, 72, 58},   // green
		{84, 184, 198},  // magenta
		{65, 100, 212},  // red
		{35, 212, 114},  // blue
	}
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i, c := range bars {
		x0, x1 := i*w/len(bars), (i+1)*w/len(bars)
		fillRect(img, image.Rect(x0, 0, x1, h), c[0], c[1], c[2])
	}
	return img
}

func fillRect(img *image.YCbCr, r image.Rectangle, y, cb, cr uint8) {
	r = r.Intersect(img.Rect)
	for yy := r.Min.Y; yy < r.Max.Y; yy++ {
		off := img.YOffset(r.Min.X, yy)
		fill(img.Y[off:off+r.Dx()], y)
	}
	for yy := r.Min.Y; yy < r.Max.Y; yy += 2 {
		for xx := r.Min.X; xx < r.Max.X; xx += 2 {
			off := img.COffset(xx, yy)
			img.Cb[off], img.Cr[off] = cb, cr
		}
	}
}

func cloneYCbCr(src *image.YCbCr) *image.YCbCr {
	dst := *src
	dst.Y = append([]byte(nil), src.Y...)
	dst.Cb = append([]byte(nil), src.Cb...)
	dst.Cr = append([]byte(nil), src.Cr...)
	return &dst
}
