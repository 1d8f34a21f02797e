package gui

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"testing"
)

func testYCbCr(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Y[img.YOffset(x, y)] = uint8(x * 255 / w)
			c := img.COffset(x, y)
			img.Cb[c], img.Cr[c] = uint8(y*255/h), 200
		}
	}
	return img
}

func TestToRGBA(t *testing.T) {
	src := testYCbCr(640, 480)
	full := toRGBA(nil, src, 0, false)
	if full.Rect.Dx() != 640 || full.Rect.Dy() != 480 {
		t.Fatalf("full size %v", full.Rect)
	}
	want := color.RGBAModel.Convert(src.At(100, 50)).(color.RGBA)
	if got := full.RGBAAt(100, 50); got != want {
		t.Fatalf("pixel %v, want %v", got, want)
	}
	if again := toRGBA(full, src, 0, false); again != full {
		t.Fatal("buffer not reused")
	}
	small := toRGBA(nil, src, 320, false)
	if small.Rect.Dx() != 320 || small.Rect.Dy() != 240 {
		t.Fatalf("decimated size %v", small.Rect)
	}
	if got, want := small.RGBAAt(50, 25), full.RGBAAt(100, 50); got != want {
		t.Fatalf("decimated pixel %v, want %v", got, want)
	}
	mirrored := toRGBA(nil, src, 320, true)
	if got, want := mirrored.RGBAAt(319-50, 25), small.RGBAAt(50, 25); got != want {
		t.Fatalf("mirrored pixel %v, want %v", got, want)
	}
	// Not YCbCr: the generic path.
	gray := image.NewGray(image.Rect(0, 0, 8, 8))
	gray.SetGray(2, 2, color.Gray{Y: 77})
	if got := toRGBA(nil, gray, 4, false).RGBAAt(1, 1); got != (color.RGBA{77, 77, 77, 255}) {
		t.Fatalf("gray pixel %v", got)
	}
	if allocs := testing.AllocsPerRun(20, func() { full = toRGBA(full, src, 0, false) }); allocs != 0 {
		t.Fatalf("%v allocations per full-size conversion", allocs)
	}
}

// BenchmarkFrameToCanvas compares what a redraw of a 640×480 frame costs:
// our conversion into a reused buffer, the decimated self-view, and what
// Fyne's GL painter does with an *image.YCbCr handed to canvas.Image (a new
// RGBA per redraw, then the same conversion).
func BenchmarkFrameToCanvas(b *testing.B) {
	for _, size := range []image.Point{{640, 480}, {1280, 720}} {
		src := testYCbCr(size.X, size.Y)
		name := func(s string) string { return fmt.Sprintf("%s/%dx%d", s, size.X, size.Y) }
		b.Run(name("reused"), func(b *testing.B) {
			b.ReportAllocs()
			var dst *image.RGBA
			for b.Loop() {
				dst = toRGBA(dst, src, 0, false)
			}
		})
		b.Run(name("fyne-ycbcr"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rgba := image.NewRGBA(image.Rect(0, 0, src.Bounds().Dx(), src.Bounds().Dy()))
				draw.Draw(rgba, rgba.Rect, src, image.Point{}, draw.Over)
			}
		})
		b.Run(name("preview-320"), func(b *testing.B) {
			b.ReportAllocs()
			var dst *image.RGBA
			for b.Loop() {
				dst = toRGBA(dst, src, previewMaxW, true)
			}
		})
	}
}
