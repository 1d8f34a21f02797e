package gui

import (
	"context"
	"image"
	"sync"

	"github.com/pion/mediadevices/pkg/io/video"
)

// previewMaxW is the width the self-view is scaled down to: it is shown
// small, and converting fewer pixels keeps it cheap.
const previewMaxW = 320

// previewSource is the local camera as a frameSource. Its reader must take
// every frame (the capture's broadcaster would otherwise hand out ever older
// ones), and the frame it gets is overwritten by the next Read, so each
// frame is converted at once into a back buffer that is swapped in.
type previewSource struct {
	back *image.RGBA // reader goroutine only

	mu    sync.Mutex
	front *image.RGBA // guarded by mu
	n     uint64      // guarded by mu
}

// run reads the preview until it ends (the capture closed) or ctx is done.
func (p *previewSource) run(ctx context.Context, r video.Reader) {
	for ctx.Err() == nil {
		img, release, err := r.Read()
		if err != nil {
			return
		}
		p.back = toRGBA(p.back, img, previewMaxW, true)
		release()
		p.mu.Lock()
		p.front, p.back = p.back, p.front
		p.n++
		p.mu.Unlock()
	}
}

func (p *previewSource) seq() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *previewSource) size() (int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.front == nil {
		return 0, 0
	}
	return p.front.Rect.Dx(), p.front.Rect.Dy()
}

// render copies the newest converted frame; the painter may hold dst while
// the reader converts the next one into its own buffer.
func (p *previewSource) render(dst *image.RGBA, _ int) *image.RGBA {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.front == nil {
		return dst
	}
	if dst == nil || dst.Rect != p.front.Rect {
		dst = image.NewRGBA(p.front.Rect)
	}
	copy(dst.Pix, p.front.Pix)
	return dst
}
