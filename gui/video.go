package gui

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"duet/call/media"
)

// maxRedrawsPerSecond bounds how often a video tile is redrawn, whatever the
// decoder delivers.
const maxRedrawsPerSecond = 30

// frameSource is a stream of pictures of which only the newest matters.
// Methods are safe for concurrent use.
type frameSource interface {
	// seq identifies the newest picture; it changes with every new one and
	// is 0 before the first.
	seq() uint64
	// size of the newest picture, 0×0 before the first.
	size() (w, h int)
	// render draws the newest picture into dst, at most maxW pixels wide
	// (maxW <= 0: full size), reusing dst when its size fits.
	render(dst *image.RGBA, maxW int) *image.RGBA
}

// remoteSource is the peer's decoded video.
type remoteSource struct{ slot *media.FrameSlot }

func (s remoteSource) seq() uint64 { return s.slot.Load().Seq }

func (s remoteSource) size() (int, int) {
	f := s.slot.Load()
	if f.Image == nil {
		return 0, 0
	}
	return f.Image.Rect.Dx(), f.Image.Rect.Dy()
}

func (s remoteSource) render(dst *image.RGBA, maxW int) *image.RGBA {
	f := s.slot.Load()
	if f.Image == nil {
		return dst
	}
	return toRGBA(dst, f.Image, maxW, false)
}

// videoTile shows a frameSource letterboxed in its area. The picture is
// converted into one reused RGBA buffer when the painter asks for it (on the
// UI thread, at most once per redraw), and redraws are requested by a pump
// goroutine only when the source has a new picture.
type videoTile struct {
	widget.BaseWidget
	raster *canvas.Raster

	// UI thread only.
	src    frameSource
	buf    *image.RGBA
	aspect float32 // width/height of the newest picture; 0 before the first

	pending atomic.Bool   // a redraw is posted and has not run yet
	draws   atomic.Uint64 // pictures handed to the painter
}

func newVideoTile() *videoTile {
	t := &videoTile{}
	t.raster = canvas.NewRaster(t.generate)
	t.ExtendBaseWidget(t)
	return t
}

// blank is what a tile paints before its first picture.
var blank = image.NewUniform(color.Black)

// generate is the raster's generator; the painter calls it on the UI thread.
func (t *videoTile) generate(w, _ int) image.Image {
	if t.src == nil {
		return blank
	}
	t.buf = t.src.render(t.buf, w)
	if t.buf == nil {
		return blank
	}
	t.draws.Add(1)
	return t.buf
}

// setSource switches the tile to src (nil: black). UI thread.
func (t *videoTile) setSource(src frameSource) {
	t.src, t.aspect = src, 0
	t.Refresh()
}

// frameReady redraws after the pump saw a new picture. UI thread.
func (t *videoTile) frameReady() {
	t.pending.Store(false)
	if t.src == nil {
		return
	}
	w, h := t.src.size()
	if w == 0 || h == 0 {
		return
	}
	if a := float32(w) / float32(h); a != t.aspect {
		t.aspect = a
		t.Refresh() // new shape: lay out again
		return
	}
	t.raster.Refresh()
}

func (t *videoTile) CreateRenderer() fyne.WidgetRenderer { return &videoRenderer{t: t} }

type videoRenderer struct{ t *videoTile }

// Layout fits the picture in the tile, keeping its shape.
func (r *videoRenderer) Layout(size fyne.Size) {
	w, h := size.Width, size.Height
	if a := r.t.aspect; a > 0 && w > 0 && h > 0 {
		if w/h > a {
			w = h * a
		} else {
			h = w / a
		}
	}
	r.t.raster.Resize(fyne.NewSize(w, h))
	r.t.raster.Move(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2))
}

func (r *videoRenderer) MinSize() fyne.Size { return fyne.NewSize(16, 12) }

func (r *videoRenderer) Refresh() {
	r.Layout(r.t.Size())
	r.t.raster.Refresh()
}

func (r *videoRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.t.raster} }
func (r *videoRenderer) Destroy()                     {}

// pumpItem is a tile and the source the pump watches for it.
type pumpItem struct {
	tile *videoTile
	src  frameSource
}

// pumpVideo posts a redraw of a tile whenever its source has a new picture.
// It looks twice per redraw period so a new frame waits at most half a
// period, but redraws a tile at most every other look: never more than
// maxRedrawsPerSecond. It never posts a second redraw before the first ran:
// a slow UI skips frames, it does not queue them.
func (u *ui) pumpVideo(ctx context.Context, items []pumpItem) {
	tick := time.NewTicker(time.Second / (2 * maxRedrawsPerSecond))
	defer tick.Stop()
	last := make([]uint64, len(items))
	lastTick := make([]int, len(items))
	for n := 2; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for i, it := range items {
			if n-lastTick[i] < 2 || it.tile.pending.Load() {
				continue
			}
			s := it.src.seq()
			if s == last[i] {
				continue
			}
			last[i], lastTick[i] = s, n
			it.tile.pending.Store(true)
			u.post(it.tile.frameReady)
		}
	}
}

// toRGBA converts src into dst, keeping every n-th pixel so the result is at
// most maxW wide (maxW <= 0: full size) and mirroring it if asked (a
// self-view). dst is reused when its size fits, so steady-state conversion
// allocates nothing. Full-size YCbCr goes through the standard library's
// fast path.
func toRGBA(dst *image.RGBA, src image.Image, maxW int, mirror bool) *image.RGBA {
	b := src.Bounds()
	if b.Empty() {
		return dst
	}
	step := 1
	if maxW > 0 && b.Dx() > maxW {
		step = b.Dx() / maxW
	}
	w, h := (b.Dx()+step-1)/step, (b.Dy()+step-1)/step
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		dst = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	yc, isYCbCr := src.(*image.YCbCr)
	switch {
	case step == 1 && !mirror:
		draw.Draw(dst, dst.Rect, src, b.Min, draw.Src)
	case isYCbCr:
		for y := 0; y < h; y++ {
			sy := b.Min.Y + y*step
			row := dst.Pix[y*dst.Stride:]
			for x := 0; x < w; x++ {
				sx := b.Min.X + x*step
				ci := yc.COffset(sx, sy)
				r, g, bl := color.YCbCrToRGB(yc.Y[yc.YOffset(sx, sy)], yc.Cb[ci], yc.Cr[ci])
				dx := x
				if mirror {
					dx = w - 1 - x
				}
				p := row[dx*4 : dx*4+4 : dx*4+4]
				p[0], p[1], p[2], p[3] = r, g, bl, 0xff
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dx := x
				if mirror {
					dx = w - 1 - x
				}
				dst.Set(dx, y, src.At(b.Min.X+x*step, b.Min.Y+y*step))
			}
		}
	}
	return dst
}
