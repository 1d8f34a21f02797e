package devices

import (
	"fmt"
	"image"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices/pkg/io/video"
)

// Layer is what the video encoder sends: a frame size and rate at or below
// the camera's. The sender steps down the ladder when the link narrows and
// back up when it widens.
type Layer struct {
	Width, Height, FPS int
}

func (l Layer) String() string { return fmt.Sprintf("%dx%d@%d", l.Width, l.Height, l.FPS) }

// VideoEncoder is the camera of a Capture, encoded with VP8 (vp8Encoder)
// at a Layer the sender picks: frames are scaled and dropped before the
// encoder, and a new size gets an encoder of its own.
//
// Read must not be called concurrently with itself; SetLayer,
// ForceKeyFrame and SetBitRate are safe from any goroutine and never
// block: they take effect at the next Read. Whoever opened the encoder must
// Close it, from the goroutine that reads once Read has failed.
type VideoEncoder struct {
	src        video.Reader          // the camera's frames, 4:2:0, at its own size and rate
	slot       *cameraSlot           // what src reads: the camera or a shared screen
	cameraFPS  int                   // the rate asked of the camera
	maxBitrate int                   // the capture's VideoBitrate
	native     atomic.Pointer[Layer] // the source's size (learnt from its first frame) and rate
	screen     atomic.Bool           // the source is a shared screen

	// asked is the layer last set, as the sender asked for it; want is
	// that layer fitted to the source now, fitted again when the source
	// changes size: a layer clamped to a camera's 480 lines must not stay
	// 480 lines once a 1080-line screen takes the camera's place.
	asked    atomic.Pointer[Layer]
	want     atomic.Pointer[Layer]
	keyFrame atomic.Bool
	bitrate  atomic.Int64
	hold     atomic.Pointer[func() bool]

	// Owned by the reading goroutine.
	enc     *vp8Encoder
	applied int // the bitrate the encoder has
	layer   Layer
	credit  float64 // frames owed at the layer's rate, for dropping
	lastOut time.Time
	// The encoder's own clock: it stands still while frames are held, or
	// libvpx would give the next frame the bits of every frame skipped,
	// and a sender skipping frames to drain a queue would send ever
	// larger ones.
	encClock time.Duration
	held     bool // frames were held since the last one encoded
	closed   bool
}

// NewVideoEncoder starts a VP8 encoder on the camera. It sends the
// camera's own size and rate until SetLayer says otherwise; while no
// camera is open (see StartCamera) its Read waits.
func (c *Capture) NewVideoEncoder() (*VideoEncoder, error) {
	e := &VideoEncoder{src: video.ToI420(c.camera.newReader(false)), slot: c.camera, cameraFPS: c.layer.FPS,
		maxBitrate: c.videoBitrate}
	native := c.layer
	e.native.Store(&native)
	e.asked.Store(&native)
	e.want.Store(&native)
	e.bitrate.Store(int64(c.videoBitrate))
	return e, nil
}

// Native is the camera's own layer, the top of the ladder.
func (e *VideoEncoder) Native() Layer { return *e.native.Load() }

// SetLayer changes what is sent from the next frame on: Height lines at
// FPS, at most the camera's, with the camera's aspect ratio.
func (e *VideoEncoder) SetLayer(l Layer) {
	e.asked.Store(&l)
	e.want.Store(fitLayer(l, e.Native()))
}

// fitLayer clamps l to native and gives it native's aspect ratio.
func fitLayer(l, native Layer) *Layer {
	h := min(max(l.Height, 16), native.Height) &^ 1
	w := (native.Width*h/native.Height + 1) &^ 1
	return &Layer{Width: w, Height: h, FPS: min(max(l.FPS, 1), native.FPS)}
}

// MaxBitRate is the most this encoder may be given: the capture's
// VideoBitrate.
func (e *VideoEncoder) MaxBitRate() int { return e.maxBitrate }

// Layer is the layer asked for last.
func (e *VideoEncoder) Layer() Layer { return *e.want.Load() }

// SetHold sets a check made before each frame is encoded: while it says
// so, camera frames are skipped, as when the network cannot take more.
// Skipped before encoding, they cost the receiver nothing but frame rate.
func (e *VideoEncoder) SetHold(hold func() bool) { e.hold.Store(&hold) }

// ForceKeyFrame makes the next frame a key frame.
func (e *VideoEncoder) ForceKeyFrame() { e.keyFrame.Store(true) }

// SetBitRate changes the target, in bits per second, from the next frame on.
func (e *VideoEncoder) SetBitRate(bps int) {
	if bps > 0 {
		e.bitrate.Store(int64(bps))
	}
}

// Read returns the next encoded frame and the time since the previous one.
// It fails once the Capture closes.
func (e *VideoEncoder) Read() ([]byte, time.Duration, error) {
	if e.closed {
		return nil, 0, fmt.Errorf("read video encoder: %w", ErrClosed)
	}
	for {
		img, release, err := e.src.Read()
		if err != nil {
			return nil, 0, fmt.Errorf("read video encoder: %w", err)
		}
		now := time.Now()
		e.learnSource(img.Bounds())
		layer := *e.want.Load()
		if !e.due(layer) {
			release()
			continue
		}
		if e.holding() {
			e.held = true
			release()
			continue
		}
		frame := scaleI420(img.(*image.YCbCr), layer.Width, layer.Height)
		if err := e.ensureEncoder(layer); err != nil {
			release()
			return nil, 0, err
		}
		if bps := int(e.bitrate.Load()); bps != e.applied {
			if err := e.enc.setBitRate(bps); err == nil {
				e.applied = bps
			}
		}
		d := now.Sub(e.lastOut)
		if e.lastOut.IsZero() {
			d = time.Second / time.Duration(layer.FPS)
		}
		encD := d
		if e.held {
			encD = min(d, time.Second/time.Duration(layer.FPS))
			e.held = false
		}
		e.encClock += encD
		data, _, err := e.enc.encode(frame, e.encClock, encD, e.keyFrame.Swap(false))
		release() // after encoding: an unscaled frame is the camera's buffer
		if err != nil {
			return nil, 0, fmt.Errorf("encode video: %w", err)
		}
		e.lastOut = now
		if len(data) == 0 {
			continue
		}
		return data, d, nil
	}
}

func (e *VideoEncoder) holding() bool {
	h := e.hold.Load()
	return h != nil && (*h)()
}

// learnSource corrects the source's size from its frames (a camera gives
// the closest mode it has, not always the one asked for) and notices a
// screen share beginning or ending: another rate, and an encoder tuned
// for the other kind of picture.
func (e *VideoEncoder) learnSource(b image.Rectangle) {
	n := e.Native()
	screen := e.slot.sharing()
	fps := e.cameraFPS
	if screen {
		fps = screenFPS
	}
	switched := screen != e.screen.Load()
	if switched {
		e.screen.Store(screen)
		e.closeEncoder()
	}
	if !switched && b.Dx() == n.Width && b.Dy() == n.Height && fps == n.FPS {
		return
	}
	fresh := Layer{Width: b.Dx() &^ 1, Height: b.Dy() &^ 1, FPS: fps}
	e.native.Store(&fresh)
	if switched {
		// Another kind of source: its own size until the sender picks.
		e.asked.CompareAndSwap(e.asked.Load(), &fresh)
	}
	// SetLayer may run meanwhile: fit again whatever it asked last.
	for {
		asked, cur := e.asked.Load(), e.want.Load()
		if e.want.CompareAndSwap(cur, fitLayer(*asked, fresh)) && e.asked.Load() == asked {
			return
		}
	}
}

// Screen reports whether the encoder sends a shared screen.
func (e *VideoEncoder) Screen() bool { return e.screen.Load() }

func (e *VideoEncoder) closeEncoder() {
	if e.enc != nil {
		e.enc.close()
		e.enc = nil
	}
}

// due decides whether this frame is sent at the layer's rate; the
// camera's own rate sends every frame.
func (e *VideoEncoder) due(l Layer) bool {
	native := e.Native()
	if l.FPS >= native.FPS {
		e.credit = 0
		return true
	}
	e.credit += float64(l.FPS) / float64(native.FPS)
	if e.credit < 1 {
		return false
	}
	e.credit--
	return true
}

// ensureEncoder builds an encoder for the layer's size, replacing one of
// another size; the new one starts with a key frame.
func (e *VideoEncoder) ensureEncoder(l Layer) error {
	if e.enc != nil && e.layer.Width == l.Width && e.layer.Height == l.Height {
		e.layer = l
		return nil
	}
	e.closeEncoder()
	bps := int(e.bitrate.Load())
	enc, err := newVP8Encoder(l.Width, l.Height, bps, keyFrameSeconds*e.Native().FPS)
	if err != nil {
		return fmt.Errorf("video encoder %s: %w", l, err)
	}
	if e.screen.Load() {
		if err := enc.setScreenContent(true); err != nil {
			enc.close()
			return fmt.Errorf("video encoder %s: %w", l, err)
		}
	}
	e.enc, e.layer, e.applied = enc, l, bps
	return nil
}

// keyFrameSeconds spaces the key frames the encoder makes unasked: a
// receiver that lost one asks for another, so they are only a backstop.
const keyFrameSeconds = 10

// Close frees the encoder. It is idempotent.
func (e *VideoEncoder) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	if e.enc != nil {
		e.enc.close()
	}
	return nil
}
