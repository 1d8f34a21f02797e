package devices

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"
	"github.com/pion/mediadevices/pkg/wave"
)

// Microphone sizing: malgo delivers 10 ms periods, Read hands out 20 ms
// chunks (one Opus frame), and at most 100 ms wait for a reader; older
// audio is dropped, so a track that starts reading late sends nothing stale.
const (
	micPeriod   = 10 * time.Millisecond
	micChunk    = toneChunk
	micCapacity = 100 * time.Millisecond
)

// microphone is a real microphone opened through malgo: 16-bit mono PCM
// at processingRate, in micChunk chunks. Each one has a malgo context of
// its own, made when it opens, so it reaches the sound server running now,
// even one started after this process.
//
// It implements mediadevices.AudioSource. Read must not be called
// concurrently with itself; Close may be called from any goroutine, more
// than once, and makes a pending Read return io.EOF.
type microphone struct {
	id    string
	mctx  *malgo.AllocatedContext
	dev   *malgo.Device
	devID unsafe.Pointer // C copy of the device ID

	ready chan struct{} // the callback queued audio; capacity 1
	done  chan struct{} // closed by Close
	heard atomic.Int64  // UnixNano of the latest callback, or of the open

	watch *time.Timer // owned by Read: when to check the device is still there

	mu    sync.Mutex
	ring  *pcmRing // guarded by mu
	scrat []int16  // guarded by mu; callback scratch

	closeOnce sync.Once
}

// openMicrophone opens the microphone id (from List), bounded by ctx. A
// microphone that finishes opening after ctx ended is closed again.
func openMicrophone(ctx context.Context, id string) (*microphone, error) {
	type result struct {
		m   *microphone
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := newMicrophone(id)
		done <- result{m, err}
	}()
	select {
	case r := <-done:
		return r.m, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.m != nil {
				r.m.Close()
			}
		}()
		return nil, deviceError("open", KindMicrophone, id, ErrDeviceFailed, ctx.Err())
	}
}

func newMicrophone(id string) (*microphone, error) {
	samples := func(d time.Duration) int { return int(int64(processingRate) * int64(d) / int64(time.Second)) }
	m := &microphone{
		id:    id,
		ready: make(chan struct{}, 1),
		done:  make(chan struct{}),
		ring:  newPCMRing(samples(micCapacity), 0),
	}
	m.heard.Store(time.Now().UnixNano())
	if err := m.open(); err != nil {
		m.release()
		return nil, err
	}
	return m, nil
}

func (m *microphone) open() error {
	mctx, err := malgo.InitContext(nil, malgo.ContextConfig{}, nil)
	if err != nil {
		return deviceError("open", KindMicrophone, m.id, ErrNoMicrophone, fmt.Errorf("init audio context: %w", err))
	}
	m.mctx = mctx
	infos, err := mctx.Devices(malgo.Capture)
	if err != nil {
		return deviceError("open", KindMicrophone, m.id, nil, fmt.Errorf("list capture devices: %w", err))
	}
	for _, info := range infos {
		if info.ID.String() == m.id {
			m.devID = info.ID.Pointer()
			break
		}
	}
	if m.devID == nil {
		return deviceError("open", KindMicrophone, m.id, ErrNoMicrophone, nil)
	}
	cfg := malgo.DefaultDeviceConfig(malgo.Capture)
	cfg.Capture.Format = malgo.FormatS16
	cfg.Capture.Channels = 1
	cfg.Capture.DeviceID = m.devID
	cfg.SampleRate = processingRate
	cfg.PeriodSizeInMilliseconds = uint32(micPeriod / time.Millisecond)
	cfg.PerformanceProfile = malgo.LowLatency
	dev, err := malgo.InitDevice(mctx.Context, cfg, malgo.DeviceCallbacks{Data: m.record})
	if err != nil {
		return deviceError("open", KindMicrophone, m.id, nil, fmt.Errorf("init capture device: %w", err))
	}
	m.dev = dev
	if err := dev.Start(); err != nil {
		return deviceError("open", KindMicrophone, m.id, nil, fmt.Errorf("start capture device: %w", err))
	}
	return nil
}

// record is malgo's data callback, on the audio thread: queue what the
// microphone heard and wake the reader. It never blocks for long.
func (m *microphone) record(_, in []byte, frames uint32) {
	n := min(int(frames), len(in)/2)
	m.mu.Lock()
	if cap(m.scrat) < n {
		m.scrat = make([]int16, n)
	}
	s := m.scrat[:n]
	for i := range s {
		s[i] = int16(binary.NativeEndian.Uint16(in[2*i:]))
	}
	m.ring.write(s)
	m.mu.Unlock()
	m.heard.Store(time.Now().UnixNano())
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

// ID identifies the source; mediadevices uses it as the track ID.
func (m *microphone) ID() string { return "duet-microphone-" + m.id }

// Read waits for the next chunk and returns it. A microphone that stops
// delivering and is no longer listed by the sound server has gone away:
// Read then fails with ErrDeviceLost. (malgo does not say so itself: with
// PulseAudio the stream is killed and the data callback just stops.)
func (m *microphone) Read() (wave.Audio, func(), error) {
	n := int(int64(processingRate) * int64(micChunk) / int64(time.Second))
	for {
		m.mu.Lock()
		if m.ring.n >= n {
			chunk := wave.NewInt16Interleaved(wave.ChunkInfo{Len: n, Channels: 1, SamplingRate: processingRate})
			m.ring.read(chunk.Data)
			m.mu.Unlock()
			return chunk, func() {}, nil
		}
		m.mu.Unlock()
		if m.watch == nil {
			m.watch = time.NewTimer(deviceLostAfter)
		} else {
			m.watch.Reset(deviceLostAfter)
		}
		select {
		case <-m.ready:
		case <-m.done:
			return nil, func() {}, io.EOF
		case <-m.watch.C:
			silent := time.Since(time.Unix(0, m.heard.Load()))
			if silent >= deviceLostAfter && !soundDeviceListed(malgo.Capture, m.id) {
				return nil, func() {}, lostError(KindMicrophone, m.id)
			}
		}
	}
}

// Close stops the microphone and frees it. It always returns nil.
func (m *microphone) Close() error {
	m.closeOnce.Do(func() {
		close(m.done)
		m.release()
	})
	return nil
}

// release frees whatever open made. Uninit waits for the callback to
// return, so it runs without m.mu held.
func (m *microphone) release() {
	if m.dev != nil {
		// Stop first: it wakes the worker thread. Uninit alone waits for
		// the thread to see its next audio, which never comes once the
		// device has gone (PulseAudio: its sink or source was removed).
		_ = m.dev.Stop()
		m.dev.Uninit()
		m.dev = nil
	}
	if m.mctx != nil {
		_ = m.mctx.Uninit()
		m.mctx.Free()
		m.mctx = nil
	}
	freeC(m.devID)
	m.devID = nil
}
