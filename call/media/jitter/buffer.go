package jitter

import (
	"math"
	"sync"
	"time"
)

// Buffer parameters.
const (
	// seenWindow is how many recent sequence numbers are remembered to spot
	// duplicates. A power of two.
	seenWindow = 256
	// fadeStart and fadeEnd: concealment plays at full level for fadeStart,
	// fades out linearly until fadeEnd, and is silence after, so that a
	// long loss does not buzz.
	fadeStart = 100 * time.Millisecond
	fadeEnd   = 150 * time.Millisecond
)

// Buffer is an adaptive jitter buffer for one mono audio stream.
//
// Push stores a received packet; Pull, called by the playout clock, fills
// exactly len(out) samples, decoding packets in timestamp order as their
// playout time comes and concealing the ones missing then. The target
// delay follows the measured network jitter; the buffer steers its level
// toward it by speeding up or slowing down decoded audio a little.
//
// All methods are safe for concurrent use: typically Push runs on the
// network receive goroutine and Pull on the audio thread. Pull never
// blocks on I/O and does not allocate; Push may wait for a running Pull,
// which holds the mutex while it decodes one packet. A Buffer holds no
// goroutines or devices and needs no Close.
type Buffer struct {
	// Immutable after New.
	dec        Decoder
	fec        FECDetector // nil when dec has no FEC detection
	rate       int
	maxPayload int
	maxDelay   int64 // samples
	maxFrame   int   // samples
	gap        int64 // resyncGap in samples
	leap       int64 // the leap beyond the packets held that starts a new stream, samples
	fadeFrom   int   // fadeStart in samples
	fadeTo     int   // fadeEnd in samples
	hyst       float64
	scaler     timeScaler

	mu sync.Mutex
	// Everything below is guarded by mu.

	state   playState
	packets store
	delay   delayEstimator
	cand    candidate
	seen    [seenWindow]int64 // unwrapped sequence numbers received, by their low bits
	lateRun int               // late packets in a row while concealing with nothing buffered

	// Unwrapping references.
	anchored bool  // ref and hiSeq are set
	ref      int64 // timestamp reference while nothing is held or playing: the first packet's
	hiSeq    int64 // highest unwrapped sequence number received

	// The timeline, in unwrapped RTP timestamps, set by the first decode
	// after New or a restart.
	timeline    bool
	nextTS      int64 // timestamp of the next audio to produce
	lastRealEnd int64 // end of the last decoded or recovered audio
	lastSeq     int64 // sequence number of the last decoded or recovered packet
	frameLen    int   // samples in the last decoded packet: the packet duration
	concealRun  int   // samples concealed since the last decoded audio

	frame    []int16 // decoder output; while waiting, the first frame
	pending  int     // samples of the first frame in frame, while waiting
	waited   int     // samples of silence pulled while the first frame waited
	sync     []int16 // audio produced and not yet pulled
	syncPos  int
	syncLen  int
	syncKind PullResult // what sync holds
	tail     []int16    // concealment crossfaded into audio that resumes

	level    float64 // filtered level at decode time, samples; < 0 when unset
	pullSize int     // samples asked for by the last Pull
	stats    Stats   // counters; the gauges are filled in by Stats
}

// New returns an empty Buffer; it plays silence until packets arrive.
func New(cfg Config) (*Buffer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	samples := func(d time.Duration) int { return int(int64(d) * int64(cfg.SampleRate) / int64(time.Second)) }
	b := &Buffer{
		dec:        cfg.Decoder,
		rate:       cfg.SampleRate,
		maxPayload: cfg.MaxPayload,
		maxDelay:   int64(samples(cfg.MaxDelay)),
		maxFrame:   samples(cfg.MaxFrame),
		gap:        int64(samples(resyncGap)),
		leap:       int64(samples(min(resyncGap, 2*cfg.MaxDelay))),
		fadeFrom:   samples(fadeStart),
		fadeTo:     samples(fadeEnd),
		hyst:       float64(samples(hysteresis)),
		scaler:     newTimeScaler(cfg.SampleRate),
		state:      stateWaiting,
		packets:    newStore(cfg.MaxPackets, cfg.MaxPayload),
		delay:      newDelayEstimator(cfg.SampleRate, cfg.MaxDelay),
		cand:       candidate{payload: make([]byte, 0, cfg.MaxPayload)},
		level:      -1,
	}
	b.fec, _ = cfg.Decoder.(FECDetector)
	b.frame = make([]int16, b.maxFrame)
	b.sync = make([]int16, b.maxFrame+b.scaler.maxLag)
	b.tail = make([]int16, b.scaler.overlap)
	b.forgetSeenLocked()
	return b, nil
}

// Reset starts over for a new stream (a new SSRC): the packets held are
// dropped and playout restarts once the new stream's first packets fill
// the buffer. The jitter estimate is kept, since the network is the same.
// Audio already decoded still plays, faded out.
func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.restartLocked()
}

// Stats returns a snapshot of the buffer.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Level = b.duration(int64(b.syncLen - b.syncPos + b.pending + b.spanLocked()))
	s.Target = b.duration(int64(b.targetLocked()))
	s.Jitter = b.duration(b.delay.estimate())
	s.Packets = b.packets.len()
	return s
}

func (b *Buffer) duration(samples int64) time.Duration {
	return time.Duration(samples * int64(time.Second) / int64(b.rate))
}

func (b *Buffer) forgetSeenLocked() {
	for i := range b.seen {
		b.seen[i] = math.MinInt64
	}
}
