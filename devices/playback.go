package devices

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// Playback jitter buffer sizing: start (and restart after running dry) once
// 60 ms are queued; never hold more than 300 ms, dropping the oldest audio.
const (
	playbackPrefill  = 60 * time.Millisecond
	playbackCapacity = 300 * time.Millisecond
	playbackPeriod   = 10 * time.Millisecond
)

// Playback plays 16-bit PCM on a speaker through malgo, behind a small
// jitter buffer.
//
// Write and Stats are safe for concurrent use and never block on the audio
// device. The owner must call Close; Close is idempotent.
type Playback struct {
	log        *slog.Logger
	sampleRate int
	channels   int

	mctx  *malgo.AllocatedContext
	dev   *malgo.Device
	devID unsafe.Pointer // C copy of the chosen device ID; nil for the default

	// pull, when set, supplies the audio instead of the ring: a jitter
	// buffer that decodes as the speaker asks. Immutable after open.
	pull func(out []int16)

	speakerID string        // as asked for; "" for the default
	heard     atomic.Int64  // UnixNano of the latest callback, or of the open
	lost      chan struct{} // closed when the speaker has gone away
	stop      chan struct{} // closed by Close: the watch ends
	watched   chan struct{} // closed when the watch has ended

	mu     sync.Mutex
	ring   *pcmRing // guarded by mu
	scrat  []int16  // guarded by mu; callback scratch
	closed bool     // guarded by mu

	closeOnce sync.Once
}

// PlaybackStats is a snapshot of the jitter buffer.
type PlaybackStats struct {
	Buffered  time.Duration // audio queued now
	Dropped   time.Duration // audio discarded because the buffer was full
	Underruns uint64        // times the speaker ran dry while playing
}

// OpenPlayback opens speakerID (from List; empty for the system default) for
// sampleRate Hz PCM with channels interleaved channels. Every failure matches
// ErrNoSpeaker — headless machines have no usable output — and the caller is
// expected to carry on without sound. logger may be nil.
func OpenPlayback(speakerID string, sampleRate, channels int, logger *slog.Logger) (*Playback, error) {
	return openPlayback(speakerID, sampleRate, channels, nil, logger)
}

func openPlayback(speakerID string, sampleRate, channels int, pull func([]int16), logger *slog.Logger) (*Playback, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if sampleRate < 8000 || sampleRate > 192000 || channels < 1 || channels > 2 {
		return nil, deviceError("open", KindSpeaker, speakerID, ErrNoSpeaker,
			fmt.Errorf("%w: %d Hz, %d channels", ErrInvalidConfig, sampleRate, channels))
	}
	p := &Playback{
		speakerID:  speakerID,
		lost:       make(chan struct{}),
		stop:       make(chan struct{}),
		watched:    make(chan struct{}),
		pull:       pull,
		log:        logger,
		sampleRate: sampleRate,
		channels:   channels,
		ring: newPCMRing(
			int(int64(sampleRate)*int64(playbackCapacity)/int64(time.Second))*channels,
			int(int64(sampleRate)*int64(playbackPrefill)/int64(time.Second))*channels),
	}
	p.heard.Store(time.Now().UnixNano())
	if err := p.open(speakerID); err != nil {
		p.release()
		return nil, deviceError("open", KindSpeaker, speakerID, ErrNoSpeaker, err)
	}
	go p.watch()
	logger.Info("playback open", "speaker", speakerID, "rate", sampleRate, "channels", channels)
	return p, nil
}

// OpenPlaybackFrom opens a speaker as OpenPlayback does, but plays what
// pull returns: the device's callback asks it for exactly len(out)
// interleaved samples at a time, on the audio thread, so pull must be quick
// and never block. Write is not used.
func OpenPlaybackFrom(speakerID string, sampleRate, channels int, pull func(out []int16), logger *slog.Logger) (*Playback, error) {
	return openPlayback(speakerID, sampleRate, channels, pull, logger)
}

func (p *Playback) open(speakerID string) error {
	mctx, err := malgo.InitContext(nil, malgo.ContextConfig{}, nil)
	if err != nil {
		return fmt.Errorf("init audio context: %w", err)
	}
	p.mctx = mctx

	cfg := malgo.DefaultDeviceConfig(malgo.Playback)
	cfg.Playback.Format = malgo.FormatS16
	cfg.Playback.Channels = uint32(p.channels)
	cfg.SampleRate = uint32(p.sampleRate)
	cfg.PeriodSizeInMilliseconds = uint32(playbackPeriod / time.Millisecond)
	cfg.PerformanceProfile = malgo.LowLatency
	if speakerID != "" {
		infos, err := mctx.Devices(malgo.Playback)
		if err != nil {
			return fmt.Errorf("list playback devices: %w", err)
		}
		for _, info := range infos {
			if info.ID.String() == speakerID {
				p.devID = info.ID.Pointer()
				break
			}
		}
		if p.devID == nil {
			return fmt.Errorf("no playback device with ID %q", speakerID)
		}
		cfg.Playback.DeviceID = p.devID
	}
	dev, err := malgo.InitDevice(mctx.Context, cfg, malgo.DeviceCallbacks{Data: p.fill})
	if err != nil {
		return fmt.Errorf("init playback device: %w", err)
	}
	p.dev = dev
	if err := dev.Start(); err != nil {
		return fmt.Errorf("start playback device: %w", err)
	}
	return nil
}

// fill is malgo's data callback, on the audio thread: copy queued PCM (or
// silence) into the device buffer, in host byte order.
func (p *Playback) fill(out, _ []byte, frames uint32) {
	n := min(int(frames)*p.channels, len(out)/2)
	p.mu.Lock()
	if cap(p.scrat) < n {
		p.scrat = make([]int16, n)
	}
	s := p.scrat[:n]
	switch {
	case p.closed:
		clear(s)
	case p.pull != nil:
		p.pull(s)
	default:
		p.ring.read(s)
	}
	for i, v := range s {
		binary.NativeEndian.PutUint16(out[2*i:], uint16(v))
	}
	p.mu.Unlock()
	p.heard.Store(time.Now().UnixNano())
}

// defaultLostAfter is how long the default speaker may stay silent before
// it counts as gone: which device the default is cannot be asked of malgo,
// so the sound server's list cannot confirm it.
const defaultLostAfter = 4 * deviceLostAfter

// watch closes p.lost when the speaker stops asking for audio and is no
// longer listed by the sound server. malgo does not report it: with
// PulseAudio the stream is killed and the data callback just stops.
func (p *Playback) watch() {
	defer close(p.watched)
	tick := time.NewTicker(deviceLostAfter)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		silent := time.Since(time.Unix(0, p.heard.Load()))
		gone := silent >= defaultLostAfter
		if p.speakerID != "" {
			gone = silent >= deviceLostAfter && !soundDeviceListed(malgo.Playback, p.speakerID)
		}
		if gone {
			p.log.Warn("speaker gone", "speaker", p.speakerID, "silent", silent)
			close(p.lost)
			return
		}
	}
}

// Lost is closed when the speaker has gone away (unplugged, or removed
// from the sound server): nothing is played any more, and the owner should
// open another one.
func (p *Playback) Lost() <-chan struct{} { return p.lost }

// SpeakerID is the speaker as opened ("" for the system default).
func (p *Playback) SpeakerID() string { return p.speakerID }

// Write queues interleaved PCM at the rate and channel count given to
// OpenPlayback. It never blocks: when the buffer is full the oldest audio is
// dropped. It returns an error matching ErrClosed after Close.
func (p *Playback) Write(pcm []int16) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("playback write: %w", ErrClosed)
	}
	p.ring.write(pcm)
	return nil
}

// Stats returns a snapshot of the jitter buffer.
func (p *Playback) Stats() PlaybackStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	perSample := time.Second / time.Duration(p.sampleRate*p.channels)
	return PlaybackStats{
		Buffered:  time.Duration(p.ring.n) * perSample,
		Dropped:   time.Duration(p.ring.dropped) * perSample,
		Underruns: p.ring.underrun,
	}
}

// Close stops the speaker and frees the device. It is idempotent.
func (p *Playback) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		close(p.stop)
		<-p.watched
		p.release()
		p.log.Info("playback closed")
	})
	return nil
}

// release frees whatever open managed to create. Uninit stops the device
// and waits for the callback to return, so it runs without p.mu held.
func (p *Playback) release() {
	if p.dev != nil {
		// Stop first: it wakes the worker thread. Uninit alone waits for
		// the thread to see its next audio, which never comes once the
		// device has gone (PulseAudio: its sink or source was removed).
		_ = p.dev.Stop()
		p.dev.Uninit()
		p.dev = nil
	}
	if p.mctx != nil {
		_ = p.mctx.Uninit()
		p.mctx.Free()
		p.mctx = nil
	}
	freeC(p.devID)
	p.devID = nil
}
