package jitter

import "time"

// Stream restarts.
const (
	// resyncGap: a packet this far behind the playout point, or this far
	// or twice MaxDelay (whichever is less) beyond the newest packet held,
	// starts a new stream rather than minutes of concealment or of late
	// packets. No stream with the buffer's delays leaps so far.
	resyncGap = 2 * time.Second
	// maxSeqJump: so many sequence numbers from the highest seen start a
	// new stream too.
	maxSeqJump = 1000
	// newStreamSeq and newStreamAge: a packet far from the stream is held
	// aside and starts a new stream once a second one within newStreamSeq
	// sequence numbers of it arrives, or the old stream has run dry for as
	// long as concealment plays before fading; it is forgotten after
	// newStreamAge packets of the old stream.
	newStreamSeq = 50
	newStreamAge = 50
	// lateRunResync: so many late packets in a row while concealing with
	// nothing buffered mean the sender's clock has moved back; start over.
	lateRunResync = 10
)

// candidate is a packet far from the stream, held aside in case it is the
// first of a new one.
type candidate struct {
	valid   bool
	seq     uint16
	ts      uint32
	arrival time.Time
	payload []byte // cap maxPayload
	age     int    // packets of the old stream stored since
}

// newStreamLocked takes a packet far from the stream. The first is held
// aside; a second close to it means the peer's stream restarted (a new
// encoder, a long gap), and playout starts over from them.
func (b *Buffer) newStreamLocked(seq uint16, ts uint32, payload []byte, arrival time.Time) {
	c := &b.cand
	if c.valid {
		dseq, dts := int64(int16(seq-c.seq)), int64(int32(ts-c.ts))
		if dseq != 0 && abs(dseq) <= newStreamSeq && abs(dts) <= b.gap {
			b.followCandidateLocked()
			b.pushLocked(seq, ts, payload, arrival)
			return
		}
		b.stats.Invalid++ // the previous one stood alone
	}
	*c = candidate{valid: true, seq: seq, ts: ts, arrival: arrival, payload: append(c.payload[:0], payload...)}
}

// followCandidateLocked restarts playout with the packet held aside.
func (b *Buffer) followCandidateLocked() {
	c := b.cand
	b.restartLocked()
	b.pushLocked(c.seq, c.ts, c.payload, c.arrival)
}

// restartLocked drops the stream and waits for the next one's packets.
func (b *Buffer) restartLocked() {
	b.stats.Resets++
	b.packets.clear()
	b.cand.valid = false
	b.forgetSeenLocked()
	b.lateRun = 0
	b.anchored = false
	b.delay.restart()
	// What is left to pull ends the old stream; fade it so it ends softly.
	if rest := b.sync[b.syncPos:b.syncLen]; len(rest) > 0 {
		end := rest[len(rest)-min(len(rest), b.scaler.overlap):]
		silence := b.tail[:len(end)]
		clear(silence)
		crossfade(end, end, silence)
	}
	b.state = stateWaiting
	b.timeline = false
	b.pending, b.waited, b.concealRun = 0, 0, 0
	b.level = -1
}
