package devices

import (
	"math/rand/v2"
)

// plane is one 8-bit picture plane (luma or chroma), stride == w.
type plane struct {
	pix  []byte
	w, h int
}

func newPlane(w, h int) plane { return plane{pix: make([]byte, w*h), w: w, h: h} }

// field accumulates a procedural picture in fixed point before it is
// clamped into a plane.
type field struct {
	v    []int32
	w, h int
}

func newField(w, h int, base int32) field {
	f := field{v: make([]int32, w*h), w: w, h: h}
	for i := range f.v {
		f.v[i] = base
	}
	return f
}

// addValueNoise adds one octave of value noise: random values on a lattice
// of cell-pixel spacing, smoothly interpolated, scaled to ±amp. Summing a
// few octaves gives the blotchy, fractal look of walls, fabric and foliage.
func (f field) addValueNoise(rng *rand.Rand, cell int, amp int32) {
	gw, gh := f.w/cell+2, f.h/cell+2
	lattice := make([]int32, gw*gh)
	for i := range lattice {
		lattice[i] = rng.Int32N(2*amp+1) - amp
	}
	// Smoothstep weights (0..256) for the position inside a cell, shared by
	// every cell.
	wt := make([]int32, cell)
	for i := range cell {
		t := float64(i) / float64(cell)
		wt[i] = int32(256 * t * t * (3 - 2*t))
	}
	for y := range f.h {
		gy, wy := y/cell, wt[y%cell]
		r0, r1 := lattice[gy*gw:], lattice[(gy+1)*gw:]
		row := f.v[y*f.w : (y+1)*f.w]
		for x := range row {
			gx, wx := x/cell, wt[x%cell]
			top := r0[gx]*(256-wx) + r0[gx+1]*wx
			bot := r1[gx]*(256-wx) + r1[gx+1]*wx
			row[x] += (top*(256-wy) + bot*wy) >> 16
		}
	}
}

// addGrain adds independent per-pixel detail of ±amp: the fine texture that
// makes motion expensive to code.
func (f field) addGrain(rng *rand.Rand, amp int32) {
	for i := range f.v {
		f.v[i] += rng.Int32N(2*amp+1) - amp
	}
}

// addRect sets a rectangle to level plus what was under it scaled down, so
// it reads as an object with a sharp outline and some surface texture.
func (f field) addRect(x0, y0, x1, y1 int, level int32) {
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, f.w), min(y1, f.h)
	for y := y0; y < y1; y++ {
		row := f.v[y*f.w : (y+1)*f.w]
		for x := x0; x < x1; x++ {
			row[x] = level + (row[x]-128)/2
		}
	}
}

// toPlane clamps the field into [lo, hi].
func (f field) toPlane(lo, hi int32) plane {
	p := newPlane(f.w, f.h)
	for i, v := range f.v {
		p.pix[i] = byte(min(max(v, lo), hi))
	}
	return p
}

// sceneTexture is a room-like picture: blotchy walls at several scales,
// sharp-edged objects (shelves, frames, books), fine grain, and gently
// varying colour. Chroma planes are half size (4:2:0).
type sceneTexture struct {
	y, cb, cr plane
}

func newSceneTexture(w, h int, seed uint64) sceneTexture {
	w, h = w&^1, h&^1
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	luma := newField(w, h, 120)
	// Octaves scale with the picture so every size looks alike.
	unit := max(w/160, 1)
	luma.addValueNoise(rng, 32*unit, 40)
	luma.addValueNoise(rng, 8*unit, 20)
	luma.addValueNoise(rng, 2*unit, 10)
	// Objects: rectangles of every size, from shelves to book spines.
	for range 60 + w*h/8000 {
		rw := max(int(rng.ExpFloat64()*float64(w)/30), 2)
		rh := max(int(rng.ExpFloat64()*float64(h)/20), 2)
		x, y := rng.IntN(w), rng.IntN(h)
		luma.addRect(x, y, x+rw, y+rh, 30+rng.Int32N(190))
	}
	luma.addGrain(rng, 3)

	cw, ch := w/2, h/2
	cb, cr := newField(cw, ch, 128), newField(cw, ch, 128)
	cb.addValueNoise(rng, 24*unit, 24)
	cr.addValueNoise(rng, 24*unit, 24)
	cb.addValueNoise(rng, 4*unit, 8)
	cr.addValueNoise(rng, 4*unit, 8)
	for range 20 + w*h/30000 {
		rw := max(int(rng.ExpFloat64()*float64(cw)/20), 2)
		rh := max(int(rng.ExpFloat64()*float64(ch)/15), 2)
		x, y := rng.IntN(cw), rng.IntN(ch)
		cb.addRect(x, y, x+rw, y+rh, 128+rng.Int32N(80)-40)
		cr.addRect(x, y, x+rw, y+rh, 128+rng.Int32N(80)-40)
	}
	return sceneTexture{y: luma.toPlane(16, 235), cb: cb.toPlane(16, 240), cr: cr.toPlane(16, 240)}
}
