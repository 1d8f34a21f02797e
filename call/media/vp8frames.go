package media

import (
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// Limits of the frame assembler.
const (
	// maxPendingPackets bounds what waits for a missing packet (a 640x480
	// key frame is ~40 packets); beyond it the assembler resynchronises.
	maxPendingPackets = 512
	// maxGapWait is how long a missing packet may hold frames back when
	// the assembler is not told: long enough for a NACK retransmission on
	// a short path, short enough not to stall video.
	maxGapWait = 150 * time.Millisecond
)

// vp8Assembler rebuilds VP8 frames from RTP packets. A frame is released as
// soon as its last packet (the marker) arrives with every packet before it,
// not when the next frame starts as pion's samplebuilder does, which costs
// a whole frame interval of latency. Late and duplicate packets are dropped;
// a gap that is not filled in time is skipped to the next frame that
// starts a partition, and reported so the caller can ask for a key frame.
//
// Not safe for concurrent use: one receive goroutine owns it.
type vp8Assembler struct {
	pending    map[uint16]*rtp.Packet
	next       uint16 // sequence number the next frame starts at
	started    bool
	gapSince   time.Time // when a missing packet at next began holding frames back
	depacketer codecs.VP8Packet
	// gapWait is how long a gap may hold frames back: the NACK horizon,
	// which follows the round trip.
	gapWait func() time.Duration
	// lastPicture is the VP8 picture ID of the last frame released, when
	// the sender numbers pictures.
	lastPicture     uint16
	haveLastPicture bool
}

// newVP8Assembler waits gapWait() for a missing packet; nil waits maxGapWait.
func newVP8Assembler(gapWait func() time.Duration) *vp8Assembler {
	if gapWait == nil {
		gapWait = func() time.Duration { return maxGapWait }
	}
	return &vp8Assembler{pending: map[uint16]*rtp.Packet{}, gapWait: gapWait}
}

// assembledFrame is one whole VP8 frame.
type assembledFrame struct {
	data      []byte
	timestamp uint32
}

// push adds a packet received at now and returns the frames it completes,
// in order; skipped reports that packets were lost for good.
func (a *vp8Assembler) push(p *rtp.Packet, now time.Time) (frames []assembledFrame, skipped bool) {
	if !a.started {
		if !a.isFrameStart(p) {
			return nil, false
		}
		a.started, a.next = true, p.SequenceNumber
	}
	if seqBefore(p.SequenceNumber, a.next) {
		return nil, false // late or duplicate
	}
	if _, dup := a.pending[p.SequenceNumber]; dup {
		return nil, false
	}
	a.pending[p.SequenceNumber] = p
	if len(a.pending) > maxPendingPackets {
		a.resync()
		return nil, true
	}
	for {
		a.skipPadding()
		f, ok := a.takeFrame()
		if ok {
			frames = append(frames, f)
			a.gapSince = time.Time{}
			continue
		}
		if len(a.pending) == 0 {
			return frames, skipped
		}
		if a.gapIsNotMedia() {
			continue
		}
		if a.gapSince.IsZero() {
			a.gapSince = now
		}
		if now.Sub(a.gapSince) < a.gapWait() || !a.skipToNextFrame() {
			return frames, skipped
		}
		skipped = true
		a.gapSince = now
	}
}

// skipPadding passes over padding-only packets at next: a sender probing
// the link, or one without a retransmission stream, sends them between
// frames (payload empty once the padding is taken off).
func (a *vp8Assembler) skipPadding() {
	for {
		p, ok := a.pending[a.next]
		if !ok || len(p.Payload) > 0 {
			return
		}
		delete(a.pending, a.next)
		a.next++
	}
}

// gapIsNotMedia skips a gap at next that held no part of a frame: the
// frame after it is the picture after the last one released, so what is
// missing was padding. Lost padding must not cost a key frame.
func (a *vp8Assembler) gapIsNotMedia() bool {
	if !a.haveLastPicture {
		return false
	}
	found := false
	var first uint16
	for seq, p := range a.pending {
		if len(p.Payload) > 0 && (!found || seqBefore(seq, first)) {
			first, found = seq, true
		}
	}
	if !found || first == a.next {
		return false
	}
	id, mask, ok := pictureID(a.pending[first])
	if !ok || (id-a.lastPicture-1)&mask != 0 || !a.isFrameStart(a.pending[first]) {
		return false
	}
	for seq := range a.pending {
		if seqBefore(seq, first) {
			delete(a.pending, seq)
		}
	}
	a.next = first
	return true
}

// pictureID is the VP8 picture ID of p, when the sender sets one, and the
// mask of its width (7 or 15 bits), at which it wraps.
func pictureID(p *rtp.Packet) (id, mask uint16, ok bool) {
	var vp8 codecs.VP8Packet
	if _, err := vp8.Unmarshal(p.Payload); err != nil || vp8.I == 0 {
		return 0, 0, false
	}
	mask = 0x7f
	if p.Payload[2]&0x80 != 0 { // after the descriptor and the extension byte: M
		mask = 0x7fff
	}
	return vp8.PictureID, mask, true
}

// takeFrame removes and returns the frame starting at next if all of it is here.
func (a *vp8Assembler) takeFrame() (assembledFrame, bool) {
	head, ok := a.pending[a.next]
	if !ok {
		return assembledFrame{}, false
	}
	if !a.isFrameStart(head) {
		// The frame's first packets were lost: it cannot be decoded.
		return assembledFrame{}, false
	}
	end := a.next
	for {
		p, ok := a.pending[end]
		if !ok || p.Timestamp != head.Timestamp {
			return assembledFrame{}, false
		}
		if p.Marker {
			break
		}
		end++
	}
	a.lastPicture, _, a.haveLastPicture = pictureID(head)
	var data []byte
	for seq := a.next; ; seq++ {
		p := a.pending[seq]
		delete(a.pending, seq)
		payload, err := a.depacketer.Unmarshal(p.Payload)
		if err == nil {
			data = append(data, payload...)
		}
		if seq == end {
			break
		}
	}
	a.next = end + 1
	return assembledFrame{data: data, timestamp: head.Timestamp}, len(data) > 0
}

// skipToNextFrame drops everything before the earliest pending packet that
// starts a frame after next; false when there is none yet.
func (a *vp8Assembler) skipToNextFrame() bool {
	found := false
	var best uint16
	for seq, p := range a.pending {
		if seq == a.next || !a.isFrameStart(p) {
			continue
		}
		if !found || seqBefore(seq, best) {
			best, found = seq, true
		}
	}
	if !found {
		return false
	}
	for seq := range a.pending {
		if seqBefore(seq, best) {
			delete(a.pending, seq)
		}
	}
	a.next = best
	return true
}

func (a *vp8Assembler) resync() {
	clear(a.pending)
	a.started, a.haveLastPicture = false, false
	a.gapSince = time.Time{}
}

// isFrameStart reports whether p begins a VP8 frame: the start of partition 0.
func (a *vp8Assembler) isFrameStart(p *rtp.Packet) bool {
	var vp8 codecs.VP8Packet
	if _, err := vp8.Unmarshal(p.Payload); err != nil {
		return false
	}
	return vp8.S == 1 && vp8.PID == 0
}

// seqBefore reports whether a comes before b in RTP sequence order (with wrap).
func seqBefore(a, b uint16) bool { return a != b && b-a < 1<<15 }
