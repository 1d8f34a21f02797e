package devices

import (
	"image"
	"sync/atomic"

	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/wave"
)

// Camera-off and mute are done by replacing media, not by removing tracks:
// the source keeps being read (so timing and the encoder keep running) and
// its output is swapped for black frames or silence. The RTP stream never
// stops, so neither side has to renegotiate and the picture returns with the
// next frame when re-enabled.

// videoGate returns a transform that emits black frames of the source's size
// while on is false.
func videoGate(on *atomic.Bool) video.TransformFunc {
	var black atomic.Pointer[image.YCbCr] // cached, never mutated once published
	return func(r video.Reader) video.Reader {
		return video.ReaderFunc(func() (image.Image, func(), error) {
			img, release, err := r.Read()
			if err != nil || on.Load() {
				return img, release, err
			}
			b := img.Bounds()
			if release != nil {
				release()
			}
			cached := black.Load()
			if cached == nil || cached.Rect != b {
				cached = blackFrame(b)
				black.Store(cached)
			}
			return cached, func() {}, nil
		})
	}
}

// blackFrame returns a video-range black 4:2:0 image.
func blackFrame(r image.Rectangle) *image.YCbCr {
	img := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	fill(img.Y, lumaBlack)
	fill(img.Cb, 128)
	fill(img.Cr, 128)
	return img
}

// audioGate returns a transform that emits silence shaped like the source's
// chunks while on is false.
func audioGate(on *atomic.Bool) audio.TransformFunc {
	return func(r audio.Reader) audio.Reader {
		return audio.ReaderFunc(func() (wave.Audio, func(), error) {
			chunk, release, err := r.Read()
			if err != nil || on.Load() {
				return chunk, release, err
			}
			info := chunk.ChunkInfo()
			if release != nil {
				release()
			}
			return silence(chunk, info), func() {}, nil
		})
	}
}

// silence returns a zeroed chunk of the same concrete type as like, so
// buffers downstream that assume one sample format keep working.
func silence(like wave.Audio, info wave.ChunkInfo) wave.Audio {
	switch like.(type) {
	case *wave.Float32Interleaved:
		return wave.NewFloat32Interleaved(info)
	case *wave.Float32NonInterleaved:
		return wave.NewFloat32NonInterleaved(info)
	case *wave.Int16NonInterleaved:
		return wave.NewInt16NonInterleaved(info)
	default:
		return wave.NewInt16Interleaved(info)
	}
}
