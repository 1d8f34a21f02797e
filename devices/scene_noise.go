package devices

import (
	"math"
	"math/rand/v2"
)

// noiseBank makes temporal sensor noise cheaply. It holds a few planes of
// random values fixed at start; each frame adds two of them, each read from
// a different offset, so the sum differs every frame and costs one addition
// per pixel instead of a random number.
type noiseBank struct {
	planes [][]int8
	n      int // pixels one frame needs
	slack  int // room for the offsets
}

// newNoiseBank makes count planes for frames of n pixels, each value drawn
// from a normal distribution of the given standard deviation, rounded (two
// planes together have sigma·√2).
func newNoiseBank(rng *rand.Rand, n, count int, sigma float64) *noiseBank {
	// Draw through a table of the distribution's quantiles: one random byte
	// per value, eight values per call to the generator.
	var quantile [256]int8
	for i := range quantile {
		p := (float64(i) + 0.5) / 256
		v := math.Round(-math.Sqrt2 * math.Erfcinv(2*p) * sigma)
		quantile[i] = int8(min(max(v, -127), 127))
	}
	b := &noiseBank{n: n, slack: 4096}
	for range count {
		p := make([]int8, n+b.slack)
		for i := 0; i < len(p); i += 8 {
			r := rng.Uint64()
			for j := i; j < min(i+8, len(p)); j++ {
				p[j] = quantile[byte(r)]
				r >>= 8
			}
		}
		b.planes = append(b.planes, p)
	}
	return b
}

// apply adds frame k's noise to pix (at most n bytes), clamped to [lo, hi].
// Frame k always gets the same noise, so a frame can be rendered again
// exactly.
func (b *noiseBank) apply(pix []byte, k uint32, lo, hi int16) {
	// splitmix64 of k picks the planes and offsets.
	h := uint64(k)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	np := uint64(len(b.planes))
	p := b.planes[h%np][int(h>>8)%b.slack:]
	q := b.planes[(h>>4+1)%np][int(h>>24)%b.slack:]
	pix = pix[:min(len(pix), b.n)]
	p, q = p[:len(pix)], q[:len(pix)]
	for i, v := range pix {
		s := int16(v) + int16(p[i]) + int16(q[i])
		pix[i] = byte(min(max(s, lo), hi))
	}
}
