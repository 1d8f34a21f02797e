package media

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/ivfwriter"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"
)

// recordQueue bounds what waits for the disk: about 4 s of audio and video
// at a webcam's rate. A disk slower than that loses media from the
// recording, counted, rather than stalling the call.
const recordQueue = 512

// Recording describes a recording's files and what it could not keep.
type Recording struct {
	// VideoPath and AudioPath name the files; a file is only created once
	// its media arrives (video at its first key frame), so either may be
	// missing from disk.
	VideoPath, AudioPath string
	VideoFrames          uint64 // frames written
	AudioPackets         uint64 // Opus packets written
	Dropped              uint64 // frames and packets lost to a full queue
	Err                  error  // the first write or close error, if any
}

// recorded is one piece of received media on its way to the disk.
type recorded struct {
	video     bool
	timestamp uint32
	seq       uint16 // audio only
	data      []byte
}

// recorder writes the media a session receives: VP8 frames as they arrived
// (not re-encoded) into IVF, Opus packets into Ogg, both with pion's
// writers. Receivers hand it media without blocking; one goroutine owns
// the files.
type recorder struct {
	log     *slog.Logger
	queue   chan recorded
	dropped atomic.Uint64
	done    chan Recording // receives the result once the files are closed
	res     Recording      // what the writer starts from: the paths
	// newIVF opens the video file; tests replace it with a slow disk.
	newIVF func(path string, opts ...ivfwriter.Option) (*ivfwriter.IVFWriter, error)

	// keyed is set once a key frame is queued: the IVF starts there.
	keyed atomic.Bool

	mu     sync.Mutex
	closed bool // guarded by mu: queue is closed
}

// newRecorder prepares to record into dir, as name.ivf and name.ogg, with
// room for queueLen pieces of media on their way to the disk; start starts
// it.
func newRecorder(dir, name string, queueLen int, log *slog.Logger) (*recorder, error) {
	if name == "" || filepath.Base(name) != name {
		return nil, fmt.Errorf("record: bad recording name %q", name)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("record into %s: %w", dir, err)
	}
	return &recorder{log: log, queue: make(chan recorded, queueLen), done: make(chan Recording, 1), newIVF: ivfwriter.New,
		res: Recording{VideoPath: filepath.Join(dir, name+".ivf"), AudioPath: filepath.Join(dir, name+".ogg")}}, nil
}

func (r *recorder) start() { go r.write() }

// add queues media for the disk, or counts it lost when the queue is full.
// It never blocks: the receive goroutines call it.
func (r *recorder) add(m recorded) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	select {
	case r.queue <- m:
	default:
		r.dropped.Add(1)
	}
}

// addVideo queues a frame and reports whether the recording has had a key
// frame to start from.
func (r *recorder) addVideo(f assembledFrame) bool {
	if !r.keyed.Load() {
		if _, _, ok := vp8KeyFrameSize(f.data); ok {
			r.keyed.Store(true)
		}
	}
	// The assembler reuses nothing, but the frame is also being decoded:
	// the copy keeps the recorder independent of that.
	r.add(recorded{video: true, timestamp: f.timestamp, data: append([]byte(nil), f.data...)})
	return r.keyed.Load()
}

func (r *recorder) addAudio(p *rtp.Packet) {
	r.add(recorded{timestamp: p.Timestamp, seq: p.SequenceNumber, data: append([]byte(nil), p.Payload...)})
}

// stop writes what is queued, closes the files and reports. Idempotent;
// later calls report the same.
func (r *recorder) stop() Recording {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	res := <-r.done
	r.done <- res
	return res
}

// write owns the files until the queue is closed.
func (r *recorder) write() {
	res := r.res
	var (
		ivf       *ivfwriter.IVFWriter
		ogg       *oggwriter.OggWriter
		lastSeq   uint16
		haveAudio bool
	)
	fail := func(err error) {
		if err != nil && res.Err == nil {
			res.Err = err
			r.log.Warn("recording", "err", err)
		}
	}
	for m := range r.queue {
		if res.Err != nil {
			continue // a failing disk: drain, keep the first error
		}
		if m.video {
			if ivf == nil {
				w, h, ok := vp8KeyFrameSize(m.data)
				if !ok {
					continue // a decoder could do nothing with it
				}
				err := createPrivate(res.VideoPath)
				if err == nil {
					ivf, err = r.newIVF(res.VideoPath, ivfwriter.WithCodec(webrtc.MimeTypeVP8),
						ivfwriter.WithWidthAndHeight(w, h), ivfwriter.WithFrameRate(1, 90000), ivfwriter.WithDirectPTS())
				}
				if err != nil {
					fail(fmt.Errorf("record video to %s: %w", res.VideoPath, err))
					continue
				}
			}
			// One packet per whole frame: the assembler has already put
			// the frame together from its packets, in order and without
			// duplicates, which pion's writer does not do. The descriptor
			// byte marks the start of partition 0.
			pkt := &rtp.Packet{Header: rtp.Header{Timestamp: m.timestamp, Marker: true}, Payload: append([]byte{0x10}, m.data...)}
			if err := ivf.WriteRTP(pkt); err != nil {
				fail(fmt.Errorf("record video to %s: %w", res.VideoPath, err))
				continue
			}
			res.VideoFrames++
			continue
		}
		if haveAudio && !seqBefore(lastSeq, m.seq) {
			continue // late or repeated: Ogg pages only go forward
		}
		if ogg == nil {
			err := createPrivate(res.AudioPath)
			if err == nil {
				ogg, err = oggwriter.New(res.AudioPath, audioRate, audioChannels)
			}
			if err != nil {
				fail(fmt.Errorf("record audio to %s: %w", res.AudioPath, err))
				continue
			}
		}
		lastSeq, haveAudio = m.seq, true
		if err := ogg.WriteRTP(&rtp.Packet{Header: rtp.Header{Timestamp: m.timestamp, SequenceNumber: m.seq}, Payload: m.data}); err != nil {
			fail(fmt.Errorf("record audio to %s: %w", res.AudioPath, err))
			continue
		}
		res.AudioPackets++
	}
	if ivf != nil {
		fail(ivf.Close())
	}
	if ogg != nil {
		fail(ogg.Close())
	}
	res.Dropped = r.dropped.Load()
	r.done <- res
}

// createPrivate creates path readable by its owner only: a recording of a
// call is the other person's picture and voice. Pion's writers then
// truncate it and keep its mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// vp8KeyFrameSize reads the picture size from a key frame's header
// (RFC 6386 section 9.1); ok is false for other frames.
func vp8KeyFrameSize(frame []byte) (w, h uint16, ok bool) {
	if len(frame) < 10 || frame[0]&1 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	w = (uint16(frame[6]) | uint16(frame[7])<<8) & 0x3fff
	h = (uint16(frame[8]) | uint16(frame[9])<<8) & 0x3fff
	return w, h, true
}
