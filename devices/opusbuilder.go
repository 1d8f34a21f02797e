package devices

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
)

// PacketLossController is an audio encoder that adapts to the packet loss
// its receiver sees. The sender sets it from the receiver's RTCP reports
// (fraction lost, as a percentage): with loss, Opus adds in-band FEC for the
// previous frame to each packet; without, it spends every bit on the signal.
type PacketLossController interface {
	SetPacketLossPercent(pct int) error
}

// opusFrame is the duration of every Opus packet Duet sends.
const opusFrame = 20 * time.Millisecond

// opusBuilder is the Opus encoder of one Capture's audio track, in the form
// mediadevices' codec selector wants: it builds one encoder each time the
// track is bound to a PeerConnection. SetBitRate and SetPacketLossPercent
// apply to every encoder it built that is still open, and to later ones.
//
// Encoders take 48 kHz (or another Opus rate: 8, 12, 16 or 24 kHz) audio in
// any mediadevices sample format and channel count, mix it to mono and cut
// it into 20 ms frames. Opus resamples nothing, so a source at another rate
// (44.1 kHz) is refused; Open asks microphones for 48 kHz mono.
//
// All methods are safe for concurrent use.
type opusBuilder struct {
	mu      sync.Mutex
	bitrate int                  // guarded by mu
	lossPct int                  // guarded by mu
	live    map[*opusReader]bool // guarded by mu; encoders not yet closed
}

var (
	_ codec.AudioEncoderBuilder = (*opusBuilder)(nil)
	_ codec.BitRateController   = (*opusBuilder)(nil)
	_ PacketLossController      = (*opusBuilder)(nil)
	_ codec.BitRateController   = (*opusReader)(nil)
	_ PacketLossController      = (*opusReader)(nil)
)

func newOpusBuilder(bitrate int) (*opusBuilder, error) {
	if err := checkOpusBitrate(bitrate); err != nil {
		return nil, fmt.Errorf("opus encoder: %w", err)
	}
	return &opusBuilder{bitrate: bitrate, live: make(map[*opusReader]bool)}, nil
}

// RTPCodec describes the packets: Opus at 48 kHz, 20 ms each.
func (b *opusBuilder) RTPCodec() *codec.RTPCodec {
	c := codec.NewRTPOpusCodec(48000)
	c.Latency = opusFrame
	return c
}

// BuildAudioEncoder returns an encoder reading r, whose format p describes.
func (b *opusBuilder) BuildAudioEncoder(r audio.Reader, p prop.Media) (codec.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	enc, err := NewOpusEncoder(p.SampleRate, 1, b.bitrate)
	if err != nil {
		return nil, fmt.Errorf("opus encoder for %d Hz audio: %w", p.SampleRate, err)
	}
	if err := enc.SetPacketLossPercent(b.lossPct); err != nil {
		_ = enc.Close()
		return nil, err
	}
	e := &opusReader{
		src:     r,
		enc:     enc,
		builder: b,
		frame:   int(int64(p.SampleRate) * int64(opusFrame) / int64(time.Second)),
		scratch: make([]byte, MaxOpusPacketBytes),
	}
	b.live[e] = true
	return e, nil
}

// SetBitRate sets the target bitrate (MinOpusBitrate..MaxOpusBitrate bits/s).
func (b *opusBuilder) SetBitRate(bps int) error {
	if err := checkOpusBitrate(bps); err != nil {
		return fmt.Errorf("opus set bitrate: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bitrate = bps
	var errs []error
	for e := range b.live {
		errs = append(errs, e.enc.SetBitrate(bps))
	}
	return errors.Join(errs...)
}

// SetPacketLossPercent sets the expected loss, 0..100 %.
func (b *opusBuilder) SetPacketLossPercent(pct int) error {
	if pct < 0 || pct > 100 {
		return fmt.Errorf("opus set packet loss %d%%: %w: want 0..100", pct, ErrInvalidConfig)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lossPct = pct
	var errs []error
	for e := range b.live {
		errs = append(errs, e.enc.SetPacketLossPercent(pct))
	}
	return errors.Join(errs...)
}

// closeEncoder forgets e and frees its encoder.
func (b *opusBuilder) closeEncoder(e *opusReader) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.live, e)
	_ = e.enc.Close()
}

// opusReader encodes an audio stream into 20 ms Opus packets. mediadevices
// calls Read from one goroutine; Close, Controller and the controller's
// methods may be called from any.
type opusReader struct {
	src     audio.Reader
	enc     *OpusEncoder
	builder *opusBuilder
	frame   int     // samples per packet
	pending []int16 // mono samples not yet encoded; only Read uses it
	scratch []byte  // only Read uses it

	closeOnce sync.Once
}

// Read returns the next packet, which stays valid after release.
func (e *opusReader) Read() ([]byte, func(), error) {
	for len(e.pending) < e.frame {
		chunk, release, err := e.src.Read()
		if err != nil {
			return nil, func() {}, err
		}
		e.pending, err = appendMono(e.pending, chunk, e.enc.SampleRate())
		if release != nil {
			release()
		}
		if err != nil {
			return nil, func() {}, fmt.Errorf("opus encoder input: %w", err)
		}
	}
	n, err := e.enc.Encode(e.pending[:e.frame], e.scratch)
	if errors.Is(err, ErrClosed) {
		return nil, func() {}, io.EOF
	}
	if err != nil {
		return nil, func() {}, err
	}
	e.pending = e.pending[:copy(e.pending, e.pending[e.frame:])]
	return append([]byte(nil), e.scratch[:n]...), func() {}, nil
}

// Controller returns the encoder itself: a codec.BitRateController and a
// PacketLossController for this one encoder.
func (e *opusReader) Controller() codec.EncoderController { return e }

// SetBitRate sets this encoder's target bitrate.
func (e *opusReader) SetBitRate(bps int) error { return e.enc.SetBitrate(bps) }

// SetPacketLossPercent sets this encoder's expected loss.
func (e *opusReader) SetPacketLossPercent(pct int) error { return e.enc.SetPacketLossPercent(pct) }

// Close frees the encoder; a Read in progress or later fails with io.EOF.
func (e *opusReader) Close() error {
	e.closeOnce.Do(func() { e.builder.closeEncoder(e) })
	return nil
}

// appendMono appends chunk to dst as 16-bit mono (channels averaged). The
// chunk must be at rate.
func appendMono(dst []int16, chunk wave.Audio, rate int) ([]int16, error) {
	info := chunk.ChunkInfo()
	if info.SamplingRate != rate {
		return dst, fmt.Errorf("%w: %d Hz audio into a %d Hz encoder", ErrInvalidConfig, info.SamplingRate, rate)
	}
	if info.Channels < 1 {
		return dst, fmt.Errorf("%w: %d channels", ErrInvalidConfig, info.Channels)
	}
	if c, ok := chunk.(*wave.Int16Interleaved); ok && info.Channels == 1 {
		return append(dst, c.Data[:info.Len]...), nil
	}
	for i := range info.Len {
		var sum float64
		for ch := range info.Channels {
			switch s := chunk.At(i, ch).(type) {
			case wave.Int16Sample:
				sum += float64(s)
			case wave.Float32Sample:
				sum += float64(s) * 32767
			default:
				return dst, fmt.Errorf("%w: %T samples", ErrInvalidConfig, s)
			}
		}
		v := math.Round(sum / float64(info.Channels))
		dst = append(dst, int16(max(math.MinInt16, min(math.MaxInt16, v))))
	}
	return dst, nil
}
