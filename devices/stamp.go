package devices

import (
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"time"
)

// A frame stamp is 128 bits painted as two rows of 64 black/white cells
// across the top of a frame: frame number (32 bits), capture time in Unix
// nanoseconds (64 bits) and a CRC-32 of those 12 bytes (32 bits), big-endian,
// most significant bit first, white = 1.
//
// Cells are W/64 pixels wide and as tall as they are wide (10×10 at 640×480),
// and the reader averages only the middle of each cell, so the stamp survives
// VP8 at the bitrates a call uses. The geometry is proportional to the width,
// so a uniformly scaled frame still reads back. The CRC makes a frame that is
// not stamped (a real camera, a black "camera off" frame) read as !ok instead
// of garbage.
const (
	stampCols  = 64
	stampRows  = 2
	stampBytes = stampCols * stampRows / 8

	// MinStampWidth is the narrowest frame that can carry a stamp (2-pixel
	// cells). Stamps are reliable through VP8 from about 320 pixels wide.
	MinStampWidth = 2 * stampCols

	lumaBlack = 16  // video-range black
	lumaWhite = 235 // video-range white
	// lumaThreshold sits between black and white in both video range
	// (16..235) and full range (0..255).
	lumaThreshold = 126
)

// stampCellSize returns the cell height for a frame width; cell i spans
// x in [i*w/64, (i+1)*w/64).
func stampCellSize(width int) int { return width / stampCols }

// StampHeight is the number of rows at the top of a width-wide frame that the
// stamp occupies.
func StampHeight(width int) int { return stampRows * stampCellSize(width) }

func encodeStamp(frame uint32, captured time.Time) [stampBytes]byte {
	var b [stampBytes]byte
	binary.BigEndian.PutUint32(b[0:4], frame)
	binary.BigEndian.PutUint64(b[4:12], uint64(captured.UnixNano()))
	binary.BigEndian.PutUint32(b[12:16], crc32.ChecksumIEEE(b[:12]))
	return b
}

// WriteFrameStamp paints frame and captured into the top StampHeight rows of
// img (luma and chroma). Frames narrower than MinStampWidth or shorter than
// the stamp are left untouched.
func WriteFrameStamp(img *image.YCbCr, frame uint32, captured time.Time) {
	r := img.Rect
	w, h := r.Dx(), r.Dy()
	cell := stampCellSize(w)
	if w < MinStampWidth || h < stampRows*cell {
		return
	}
	bits := encodeStamp(frame, captured)
	for row := range stampRows {
		y0, y1 := row*cell, (row+1)*cell
		for col := range stampCols {
			i := row*stampCols + col
			v := uint8(lumaBlack)
			if bits[i/8]&(0x80>>(i%8)) != 0 {
				v = lumaWhite
			}
			x0, x1 := col*w/stampCols, (col+1)*w/stampCols
			for y := y0; y < y1; y++ {
				off := img.YOffset(r.Min.X+x0, r.Min.Y+y)
				fill(img.Y[off:off+x1-x0], v)
			}
		}
	}
	// Neutral chroma under the whole band, so colour bleeding cannot tint it.
	for y := 0; y < stampRows*cell; y++ {
		for x := 0; x < w; x++ {
			off := img.COffset(r.Min.X+x, r.Min.Y+y)
			img.Cb[off], img.Cr[off] = 128, 128
		}
	}
}

// ReadFrameStamp decodes a stamp written by WriteFrameStamp (or by the
// synthetic camera) from a received frame. ok is false when the frame carries
// no valid stamp. It accepts any image, is cheap (it samples 128 small
// areas) and never panics on a well-formed image, whatever its pixels.
func ReadFrameStamp(img image.Image) (frame uint32, captured time.Time, ok bool) {
	if img == nil {
		return 0, time.Time{}, false
	}
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	cell := stampCellSize(w)
	if w < MinStampWidth || h < stampRows*cell {
		return 0, time.Time{}, false
	}
	luma := lumaSampler(img)
	var b [stampBytes]byte
	for row := range stampRows {
		y0, y1 := row*cell, (row+1)*cell
		ya, yb := y0+(y1-y0)/4, y1-(y1-y0)/4
		for col := range stampCols {
			x0, x1 := col*w/stampCols, (col+1)*w/stampCols
			xa, xb := x0+(x1-x0)/4, x1-(x1-x0)/4
			if xb <= xa {
				xb = xa + 1
			}
			if yb <= ya {
				yb = ya + 1
			}
			sum, n := 0, 0
			for y := ya; y < yb; y++ {
				for x := xa; x < xb; x++ {
					sum += int(luma(r.Min.X+x, r.Min.Y+y))
					n++
				}
			}
			if sum >= lumaThreshold*n {
				i := row*stampCols + col
				b[i/8] |= 0x80 >> (i % 8)
			}
		}
	}
	if crc32.ChecksumIEEE(b[:12]) != binary.BigEndian.Uint32(b[12:16]) {
		return 0, time.Time{}, false
	}
	frame = binary.BigEndian.Uint32(b[0:4])
	captured = time.Unix(0, int64(binary.BigEndian.Uint64(b[4:12])))
	return frame, captured, true
}

// lumaSampler returns a fast luma accessor for YCbCr and Gray images and a
// generic one for everything else. Coordinates are inside img.Bounds().
func lumaSampler(img image.Image) func(x, y int) uint8 {
	switch m := img.(type) {
	case *image.YCbCr:
		if validYCbCr(m) {
			return func(x, y int) uint8 { return m.Y[m.YOffset(x, y)] }
		}
	case *image.Gray:
		return func(x, y int) uint8 { return m.GrayAt(x, y).Y }
	}
	return func(x, y int) uint8 {
		return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
	}
}

// validYCbCr reports whether the luma plane really covers Rect, so direct
// indexing cannot go out of range on a malformed image.
func validYCbCr(m *image.YCbCr) bool {
	r := m.Rect
	if r.Empty() || m.YStride < r.Dx() {
		return false
	}
	last := (r.Dy()-1)*m.YStride + r.Dx() - 1
	return last < len(m.Y)
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}
