package devices

import "image"

// scaleI420 returns src resized to w×h (both even) with bilinear
// filtering, or src itself when it already has that size. src must be
// 4:2:0. Sample centres are aligned, so halving averages 2×2 blocks.
func scaleI420(src *image.YCbCr, w, h int) *image.YCbCr {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if sw == w && sh == h {
		return src
	}
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	y0 := src.YOffset(src.Rect.Min.X, src.Rect.Min.Y)
	c0 := src.COffset(src.Rect.Min.X, src.Rect.Min.Y)
	scalePlane(dst.Y, dst.YStride, w, h, src.Y[y0:], src.YStride, sw, sh)
	cw, ch, scw, sch := (w+1)/2, (h+1)/2, (sw+1)/2, (sh+1)/2
	scalePlane(dst.Cb, dst.CStride, cw, ch, src.Cb[c0:], src.CStride, scw, sch)
	scalePlane(dst.Cr, dst.CStride, cw, ch, src.Cr[c0:], src.CStride, scw, sch)
	return dst
}

// scalePlane resamples one plane in 16.16 fixed point.
func scalePlane(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int) {
	xs := axis(dw, sw)
	ys := axis(dh, sh)
	for y, ya := range ys {
		r0 := src[ya.i0*srcStride:]
		r1 := src[ya.i1*srcStride:]
		row := dst[y*dstStride : y*dstStride+dw]
		for x, xa := range xs {
			top := int(r0[xa.i0])*(65536-xa.f) + int(r0[xa.i1])*xa.f
			bot := int(r1[xa.i0])*(65536-xa.f) + int(r1[xa.i1])*xa.f
			row[x] = uint8(((top>>8)*(65536-ya.f) + (bot>>8)*ya.f + (1 << 23)) >> 24)
		}
	}
}

// tap is where one output sample falls between two input samples: i0 and
// i1 and the weight of i1 in 1/65536.
type tap struct{ i0, i1, f int }

func axis(out, in int) []tap {
	taps := make([]tap, out)
	for i := range taps {
		// Centre of output sample i, in input coordinates.
		pos := ((2*i+1)*in*65536/out - 65536) / 2
		pos = max(pos, 0)
		i0 := min(pos>>16, in-1)
		taps[i] = tap{i0: i0, i1: min(i0+1, in-1), f: pos & 0xffff}
	}
	return taps
}
