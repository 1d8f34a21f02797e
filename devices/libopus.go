package devices

/*
#cgo pkg-config: opus
#include <opus.h>

// opus_encoder_ctl is variadic, which cgo cannot call.
static int duet_opus_set(OpusEncoder *e, int request, opus_int32 v) {
	switch (request) {
	case OPUS_SET_BITRATE_REQUEST:
		return opus_encoder_ctl(e, OPUS_SET_BITRATE(v));
	case OPUS_SET_INBAND_FEC_REQUEST:
		return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(v));
	case OPUS_SET_PACKET_LOSS_PERC_REQUEST:
		return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(v));
	}
	return OPUS_UNIMPLEMENTED;
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// This file is the only one that holds libopus memory: each OpusEncoder and
// OpusDecoder owns one libopus state, created in its constructor and
// destroyed once, in Close.

// Encoder bitrate bounds in bits/s: below 6 kbit/s Opus is barely
// intelligible, above 510 kbit/s it spends nothing more.
const (
	MinOpusBitrate = 6_000
	MaxOpusBitrate = 510_000
)

// MaxOpusPacketBytes is an output buffer size that fits any Opus packet
// (RFC 6716 §3.2.1 limits a frame to 1275 bytes; a packet carries at most 120 ms).
const MaxOpusPacketBytes = 4000

// OpusEncoder encodes 16-bit PCM to Opus with libopus, tuned for speech
// (OPUS_APPLICATION_VOIP) with in-band forward error correction on: once
// SetPacketLossPercent reports loss, each packet also carries a low-bitrate
// copy of the previous frame that OpusDecoder.DecodeFEC recovers. With 0 %
// loss (the default) libopus sends no FEC data.
//
// All methods are safe for concurrent use; calls are serialised. The owner
// must call Close.
type OpusEncoder struct {
	mu         sync.Mutex
	enc        *C.OpusEncoder // guarded by mu; nil after Close
	sampleRate int
	channels   int
}

// NewOpusEncoder returns an encoder of sampleRate (8000, 12000, 16000, 24000
// or 48000) PCM with 1 or 2 interleaved channels, at bitrate bits/s
// (MinOpusBitrate..MaxOpusBitrate).
func NewOpusEncoder(sampleRate, channels, bitrate int) (*OpusEncoder, error) {
	if err := checkOpusFormat(sampleRate, channels); err != nil {
		return nil, fmt.Errorf("new opus encoder: %w", err)
	}
	if err := checkOpusBitrate(bitrate); err != nil {
		return nil, fmt.Errorf("new opus encoder: %w", err)
	}
	var cerr C.int
	enc := C.opus_encoder_create(C.opus_int32(sampleRate), C.int(channels), C.OPUS_APPLICATION_VOIP, &cerr)
	if cerr != C.OPUS_OK || enc == nil {
		return nil, fmt.Errorf("new opus encoder %d Hz %d ch: %w: %s", sampleRate, channels, ErrInvalidConfig, opusError(cerr))
	}
	e := &OpusEncoder{enc: enc, sampleRate: sampleRate, channels: channels}
	for _, s := range []struct {
		req  C.int
		v    int
		what string
	}{
		{C.OPUS_SET_BITRATE_REQUEST, bitrate, "bitrate"},
		{C.OPUS_SET_INBAND_FEC_REQUEST, 1, "in-band fec"},
		{C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, 0, "packet loss"},
	} {
		if rc := C.duet_opus_set(enc, s.req, C.opus_int32(s.v)); rc != C.OPUS_OK {
			_ = e.Close()
			return nil, fmt.Errorf("new opus encoder: set %s %d: %s", s.what, s.v, opusError(rc))
		}
	}
	return e, nil
}

// SampleRate returns the input rate.
func (e *OpusEncoder) SampleRate() int { return e.sampleRate }

// Channels returns the input channel count.
func (e *OpusEncoder) Channels() int { return e.channels }

// SetBitrate changes the target bitrate (MinOpusBitrate..MaxOpusBitrate
// bits/s) from the next frame on.
func (e *OpusEncoder) SetBitrate(bps int) error {
	if err := checkOpusBitrate(bps); err != nil {
		return fmt.Errorf("opus set bitrate: %w", err)
	}
	return e.set(C.OPUS_SET_BITRATE_REQUEST, bps, "bitrate")
}

// SetPacketLossPercent tells the encoder how much loss (0..100 %) to expect.
// Above 0 it adds in-band FEC to each packet, and more robust prediction,
// taking the bits from the main signal.
func (e *OpusEncoder) SetPacketLossPercent(pct int) error {
	if pct < 0 || pct > 100 {
		return fmt.Errorf("opus set packet loss %d%%: %w: want 0..100", pct, ErrInvalidConfig)
	}
	return e.set(C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, pct, "packet loss")
}

func (e *OpusEncoder) set(req C.int, v int, what string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return fmt.Errorf("opus set %s: %w", what, ErrClosed)
	}
	if rc := C.duet_opus_set(e.enc, req, C.opus_int32(v)); rc != C.OPUS_OK {
		return fmt.Errorf("opus set %s %d: %w: %s", what, v, ErrInvalidConfig, opusError(rc))
	}
	return nil
}

// Encode encodes one frame of interleaved pcm (2.5, 5, 10, 20, 40 or 60 ms)
// into out and returns the packet length. out should be MaxOpusPacketBytes
// long. Errors match ErrInvalidConfig (wrong frame length, out too small)
// or ErrClosed.
func (e *OpusEncoder) Encode(pcm []int16, out []byte) (int, error) {
	samples := len(pcm) / e.channels
	if len(pcm)%e.channels != 0 || !validOpusFrame(samples, e.sampleRate) {
		return 0, fmt.Errorf("opus encode %d samples: %w: want one 2.5..60 ms frame at %d Hz × %d ch",
			len(pcm), ErrInvalidConfig, e.sampleRate, e.channels)
	}
	if len(out) == 0 {
		return 0, fmt.Errorf("opus encode: %w: no output space", ErrInvalidConfig)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return 0, fmt.Errorf("opus encode: %w", ErrClosed)
	}
	n := C.opus_encode(e.enc, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(samples),
		(*C.uchar)(unsafe.Pointer(&out[0])), C.opus_int32(min(len(out), MaxOpusPacketBytes)))
	if n < 0 {
		return 0, fmt.Errorf("opus encode %d samples: %w: %s", samples, ErrInvalidConfig, opusError(n))
	}
	return int(n), nil
}

// Close frees the encoder. It is idempotent; later calls to other methods
// fail with ErrClosed.
func (e *OpusEncoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc != nil {
		C.opus_encoder_destroy(e.enc)
		e.enc = nil
	}
	return nil
}

// OpusDecoder decodes Opus packets to 16-bit PCM with libopus. Besides
// plain decoding it fills gaps: Conceal extrapolates a lost frame from the
// audio before it (packet-loss concealment), and DecodeFEC rebuilds a lost
// frame from the forward error correction carried in the packet after it.
//
// All methods are safe for concurrent use; calls are serialised. The owner
// must call Close.
type OpusDecoder struct {
	mu         sync.Mutex
	dec        *C.OpusDecoder // guarded by mu; nil after Close
	sampleRate int
	channels   int
}

// NewOpusDecoder returns a decoder producing sampleRate (8000, 12000, 16000,
// 24000 or 48000) PCM with 1 or 2 interleaved channels.
func NewOpusDecoder(sampleRate, channels int) (*OpusDecoder, error) {
	if err := checkOpusFormat(sampleRate, channels); err != nil {
		return nil, fmt.Errorf("new opus decoder: %w", err)
	}
	var cerr C.int
	dec := C.opus_decoder_create(C.opus_int32(sampleRate), C.int(channels), &cerr)
	if cerr != C.OPUS_OK || dec == nil {
		return nil, fmt.Errorf("new opus decoder %d Hz %d ch: %w: %s", sampleRate, channels, ErrInvalidConfig, opusError(cerr))
	}
	return &OpusDecoder{dec: dec, sampleRate: sampleRate, channels: channels}, nil
}

// MaxSamples is the pcm length that holds the longest Opus packet (120 ms)
// at this decoder's rate and channel count.
func (d *OpusDecoder) MaxSamples() int { return d.sampleRate * 120 / 1000 * d.channels }

// SampleRate returns the output rate.
func (d *OpusDecoder) SampleRate() int { return d.sampleRate }

// Channels returns the output channel count.
func (d *OpusDecoder) Channels() int { return d.channels }

// Decode decodes one packet into pcm (interleaved) and returns the number of
// samples per channel written. pcm should be MaxSamples long. Errors match
// ErrEmptyFrame, ErrDecode (malformed packet, or pcm too short) or
// ErrClosed; the decoder stays usable after ErrDecode.
func (d *OpusDecoder) Decode(packet []byte, pcm []int16) (n int, err error) {
	if len(packet) == 0 {
		return 0, fmt.Errorf("opus decode: %w", ErrEmptyFrame)
	}
	n, err = d.decode(packet, pcm, len(pcm)/d.channels, false)
	if err != nil {
		return 0, fmt.Errorf("opus decode %d bytes: %w", len(packet), err)
	}
	return n, nil
}

// Conceal fills pcm with a plausible continuation of the audio decoded so
// far, for one lost packet, and returns the number of samples per channel
// written: len(pcm)/Channels, which must be a multiple of 2.5 ms (use the
// lost packet's duration, 20 ms in Duet). Repeated calls fade to silence.
// Errors match ErrInvalidConfig or ErrClosed.
func (d *OpusDecoder) Conceal(pcm []int16) (int, error) {
	samples, err := d.gapSamples(pcm)
	if err != nil {
		return 0, fmt.Errorf("opus conceal: %w", err)
	}
	n, err := d.decode(nil, pcm, samples, false)
	if err != nil {
		return 0, fmt.Errorf("opus conceal %d samples: %w", samples, err)
	}
	return n, nil
}

// DecodeFEC recovers the frame lost just before next from the in-band FEC
// that next carries, and returns the number of samples per channel written
// to pcm: len(pcm)/Channels, which must equal the lost frame's duration (a
// multiple of 2.5 ms; 20 ms in Duet). Decode next itself afterwards, as
// usual.
//
// When next carries no FEC (the sender expected no loss, its bitrate was too
// low for it, or the frame was CELT), libopus conceals instead, exactly as
// Conceal would; there is no way to tell the two apart from the result.
// Errors match ErrEmptyFrame, ErrInvalidConfig, ErrDecode or ErrClosed.
func (d *OpusDecoder) DecodeFEC(next []byte, pcm []int16) (int, error) {
	if len(next) == 0 {
		return 0, fmt.Errorf("opus decode fec: %w", ErrEmptyFrame)
	}
	samples, err := d.gapSamples(pcm)
	if err != nil {
		return 0, fmt.Errorf("opus decode fec: %w", err)
	}
	n, err := d.decode(next, pcm, samples, true)
	if err != nil {
		return 0, fmt.Errorf("opus decode fec from %d bytes: %w", len(next), err)
	}
	return n, nil
}

// gapSamples checks that pcm is a whole number of 2.5 ms frames and returns
// its length in samples per channel.
func (d *OpusDecoder) gapSamples(pcm []int16) (int, error) {
	samples := len(pcm) / d.channels
	step := d.sampleRate / 400 // 2.5 ms
	if samples == 0 || len(pcm)%d.channels != 0 || samples%step != 0 || samples > d.MaxSamples()/d.channels {
		return 0, fmt.Errorf("%w: %d samples is not a multiple of 2.5 ms at %d Hz × %d ch",
			ErrInvalidConfig, len(pcm), d.sampleRate, d.channels)
	}
	return samples, nil
}

// decode runs opus_decode; data nil means concealment. frameSize is the
// space in pcm (plain decode) or the exact duration (concealment, FEC).
func (d *OpusDecoder) decode(data []byte, pcm []int16, frameSize int, fec bool) (int, error) {
	if frameSize == 0 {
		return 0, fmt.Errorf("%w: no output space", ErrDecode)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec == nil {
		return 0, ErrClosed
	}
	var p *C.uchar
	if len(data) > 0 {
		p = (*C.uchar)(unsafe.Pointer(&data[0]))
	}
	var decodeFEC C.int
	if fec {
		decodeFEC = 1
	}
	n := C.opus_decode(d.dec, p, C.opus_int32(len(data)), (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(frameSize), decodeFEC)
	if n < 0 {
		return 0, fmt.Errorf("%w: %s", ErrDecode, opusError(n))
	}
	return int(n), nil
}

// Close frees the decoder. It is idempotent; later calls to other methods
// fail with ErrClosed.
func (d *OpusDecoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec != nil {
		C.opus_decoder_destroy(d.dec)
		d.dec = nil
	}
	return nil
}

// libopusVersion returns the linked libopus' version string, e.g. "libopus 1.3.1".
func libopusVersion() string { return C.GoString(C.opus_get_version_string()) }

func checkOpusFormat(sampleRate, channels int) error {
	switch sampleRate {
	case 8000, 12000, 16000, 24000, 48000:
	default:
		return fmt.Errorf("%w: %d Hz, want 8000, 12000, 16000, 24000 or 48000", ErrInvalidConfig, sampleRate)
	}
	if channels != 1 && channels != 2 {
		return fmt.Errorf("%w: %d channels, want 1 or 2", ErrInvalidConfig, channels)
	}
	return nil
}

func checkOpusBitrate(bps int) error {
	if bps < MinOpusBitrate || bps > MaxOpusBitrate {
		return fmt.Errorf("%w: %d bits/s, want %d..%d", ErrInvalidConfig, bps, MinOpusBitrate, MaxOpusBitrate)
	}
	return nil
}

// validOpusFrame reports whether samples (per channel) at rate is one of
// the frame durations Opus encodes: 2.5, 5, 10, 20, 40 or 60 ms.
func validOpusFrame(samples, rate int) bool {
	for _, tenthsMs := range []int{25, 50, 100, 200, 400, 600} {
		if samples == rate*tenthsMs/10000 {
			return true
		}
	}
	return false
}

func opusError(code C.int) string { return C.GoString(C.opus_strerror(code)) }
