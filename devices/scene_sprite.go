package devices

import (
	"math"
	"math/rand/v2"
)

// Fixed-point positions and scales: 16 fractional bits.
const (
	fixShift = 16
	fixOne   = 1 << fixShift
)

// sprite is a textured ellipse that moves over the scene: a head, a hand, a
// mug. Its texture moves and scales with it, at sub-pixel positions, so an
// encoder's motion search predicts it only approximately, as with a real
// object in front of a camera.
type sprite struct {
	rx, ry int // radii at full size in luma pixels, even
	tex    sceneTexture
}

// newSprite makes an ellipse of radii rx×ry with a smooth, mottled surface
// of the given colour, like skin or a glazed mug.
func newSprite(rng *rand.Rand, rx, ry int, luma, cb, cr int32) sprite {
	rx, ry = max(rx&^1, 2), max(ry&^1, 2)
	w, h := 2*rx+2, 2*ry+2
	unit := max(rx/16, 1)
	y := newField(w, h, luma)
	y.addValueNoise(rng, 8*unit, 24)
	y.addValueNoise(rng, 2*unit, 8)
	cbf, crf := newField(w/2, h/2, cb), newField(w/2, h/2, cr)
	cbf.addValueNoise(rng, 4*unit, 6)
	crf.addValueNoise(rng, 4*unit, 6)
	return sprite{rx: rx, ry: ry, tex: sceneTexture{y: y.toPlane(16, 235), cb: cbf.toPlane(16, 240), cr: crf.toPlane(16, 240)}}
}

// draw paints s centred at (cx, cy) luma pixels, scaled by scale (at most
// 1), all in 16.16 fixed point, into img's planes below row top.
func (s *sprite) draw(img sceneFrame, top, cx, cy, scale int) {
	drawEllipse(img.y, img.yStride, img.w, img.h, top, s.tex.y, s.rx, s.ry, cx, cy, scale)
	cw, ch := img.w/2, img.h/2
	drawEllipse(img.cb, img.cStride, cw, ch, top/2, s.tex.cb, s.rx/2, s.ry/2, cx/2, cy/2, scale)
	drawEllipse(img.cr, img.cStride, cw, ch, top/2, s.tex.cr, s.rx/2, s.ry/2, cx/2, cy/2, scale)
}

// sceneFrame is the frame being drawn.
type sceneFrame struct {
	y, cb, cr        []byte
	yStride, cStride int
	w, h             int // luma size
}

// drawEllipse paints the ellipse of radii rx×ry inscribed in tex, scaled by
// scale and centred at (cx, cy) (16.16 fixed point), into rows [top, h) and
// columns [0, w) of dst, interpolating the texture bilinearly.
func drawEllipse(dst []byte, stride, w, h, top int, tex plane, rx, ry int, cx, cy, scale int) {
	if scale <= 0 {
		return
	}
	inv := fixOne * fixOne / scale // texture pixels per destination pixel
	sc := float64(scale) / fixOne
	fcx, fcy := float64(cx)/fixOne, float64(cy)/fixOne
	erx, ery := float64(rx)*sc, float64(ry)*sc
	y0, y1 := max(int(math.Ceil(fcy-ery)), top), min(int(math.Floor(fcy+ery)), h-1)
	for y := y0; y <= y1; y++ {
		dy := (float64(y) - fcy) / ery
		half := erx * math.Sqrt(max(0, 1-dy*dy))
		x0, x1 := max(int(math.Ceil(fcx-half)), 0), min(int(math.Floor(fcx+half)), w-1)
		if x0 > x1 {
			continue
		}
		v := (y*fixOne-cy)*inv/fixOne + ry*fixOne
		vi := min(max(v>>fixShift, 0), tex.h-2)
		fy := int32(v>>(fixShift-8)) & 0xff
		t0 := tex.pix[vi*tex.w : (vi+1)*tex.w]
		t1 := tex.pix[(vi+1)*tex.w : (vi+2)*tex.w]
		u := (x0*fixOne-cx)*inv/fixOne + rx*fixOne
		out := dst[y*stride+x0 : y*stride+x1+1]
		for i := range out {
			ui := min(max(u>>fixShift, 0), tex.w-2)
			fx := int32(u>>(fixShift-8)) & 0xff
			a := int32(t0[ui])*(256-fx) + int32(t0[ui+1])*fx
			b := int32(t1[ui])*(256-fx) + int32(t1[ui+1])*fx
			out[i] = byte((a*(256-fy) + b*fy + 1<<15) >> 16)
			u += inv
		}
	}
}
