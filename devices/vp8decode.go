package devices

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/prop"
)

// Limits on what the VP8 decoder accepts from the network.
const (
	// MaxVP8FrameBytes is the size of mediadevices' decoder input buffer; a
	// larger frame would be silently truncated, so it is refused instead.
	MaxVP8FrameBytes = 1 << 20
	// MaxVP8Pixels bounds the picture size a key frame may declare (4K UHD),
	// so a hostile 16383×16383 header cannot make us allocate gigabytes.
	MaxVP8Pixels = 3840 * 2160
)

// VP8Decoder decodes one whole VP8 frame at a time (assemble RTP packets
// into frames first, e.g. with pion's samplebuilder) using libvpx.
//
// After a decode error it drops inter frames until the next key frame, so a
// damaged reference never turns into smeared pictures; the caller should
// answer every ErrDecode with a (rate-limited) PLI.
//
// All methods are safe for concurrent use; calls are serialised. The owner
// must call Close.
type VP8Decoder struct {
	mu       sync.Mutex
	dec      codec.VideoDecoder // guarded by mu; nil after Close
	in       *frameFeed         // guarded by mu
	needsKey bool               // guarded by mu
}

// NewVP8Decoder returns a decoder that waits for a key frame.
func NewVP8Decoder() (*VP8Decoder, error) {
	in := &frameFeed{}
	dec, err := vpx.NewDecoder(in, prop.Media{})
	if err != nil {
		return nil, fmt.Errorf("new vp8 decoder: %w", err)
	}
	return &VP8Decoder{dec: dec, in: in, needsKey: true}, nil
}

// Decode decodes one frame. Errors match ErrEmptyFrame, ErrFrameTooLarge,
// ErrDecode (send a PLI), ErrNoPicture (not a failure; nothing to show) or
// ErrClosed. The returned image is newly allocated and belongs to the caller.
func (d *VP8Decoder) Decode(frame []byte) (*image.YCbCr, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec == nil {
		return nil, fmt.Errorf("vp8 decode: %w", ErrClosed)
	}
	if len(frame) == 0 {
		return nil, fmt.Errorf("vp8 decode: %w", ErrEmptyFrame)
	}
	if len(frame) > MaxVP8FrameBytes {
		return nil, fmt.Errorf("vp8 decode %d bytes: %w", len(frame), ErrFrameTooLarge)
	}
	key, err := checkVP8Header(frame)
	if err != nil {
		d.needsKey = d.needsKey || !errors.Is(err, ErrFrameTooLarge)
		return nil, fmt.Errorf("vp8 decode %d bytes: %w", len(frame), err)
	}
	if !key && d.needsKey {
		return nil, fmt.Errorf("vp8 decode: %w: waiting for a key frame", ErrDecode)
	}

	d.in.frame = frame
	img, release, err := d.dec.Read()
	d.in.frame = nil
	switch {
	case errors.Is(err, errFeedEmpty):
		// libvpx consumed the frame without output (a hidden frame).
		d.needsKey = false
		return nil, fmt.Errorf("vp8 decode: %w", ErrNoPicture)
	case err != nil:
		d.needsKey = true
		return nil, fmt.Errorf("vp8 decode %d bytes: %w: %v", len(frame), ErrDecode, err)
	}
	if release != nil {
		release()
	}
	d.needsKey = false
	ycc, ok := img.(*image.YCbCr)
	if !ok {
		return nil, fmt.Errorf("vp8 decode: %w: unexpected image type %T", ErrDecode, img)
	}
	return ycc, nil
}

// Close frees the decoder. It is idempotent.
func (d *VP8Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec == nil {
		return nil
	}
	err := d.dec.Close()
	d.dec = nil
	if err != nil {
		return fmt.Errorf("close vp8 decoder: %w", err)
	}
	return nil
}

// checkVP8Header validates the parts of a VP8 frame header (RFC 6386 §9.1)
// that libvpx would otherwise trust: the key-frame start code and declared
// dimensions. It reports whether the frame is a key frame.
func checkVP8Header(b []byte) (key bool, err error) {
	if len(b) < 3 {
		return false, fmt.Errorf("%w: %d-byte frame tag", ErrDecode, len(b))
	}
	if b[0]&1 != 0 {
		return false, nil // inter frame: nothing more to check cheaply
	}
	if len(b) < 10 || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return true, fmt.Errorf("%w: bad key frame header", ErrDecode)
	}
	w := int(binary.LittleEndian.Uint16(b[6:8]) & 0x3fff)
	h := int(binary.LittleEndian.Uint16(b[8:10]) & 0x3fff)
	if w == 0 || h == 0 {
		return true, fmt.Errorf("%w: key frame declares %dx%d", ErrDecode, w, h)
	}
	if w*h > MaxVP8Pixels {
		return true, fmt.Errorf("%w: key frame declares %dx%d", ErrFrameTooLarge, w, h)
	}
	return true, nil
}

// errFeedEmpty tells the mediadevices decoder loop that there is no more
// input for this Decode call.
var errFeedEmpty = errors.New("no more input")

// frameFeed is the io.Reader mediadevices' decoder pulls from: it yields the
// current frame once, whole, then errFeedEmpty.
type frameFeed struct {
	frame []byte
}

func (f *frameFeed) Read(p []byte) (int, error) {
	if f.frame == nil {
		return 0, errFeedEmpty
	}
	if len(f.frame) > len(p) {
		f.frame = nil
		return 0, ErrFrameTooLarge
	}
	n := copy(p, f.frame)
	f.frame = nil
	return n, nil
}
