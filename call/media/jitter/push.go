package jitter

import "time"

// Push stores a received packet: its RTP sequence number, timestamp and
// payload (copied; the caller may reuse it), and when it arrived, from
// which the jitter is measured. Packets behind the playout point (late),
// received twice, empty or larger than the configured MaxPayload are
// dropped and counted. Push never decodes.
func (b *Buffer) Push(seq uint16, ts uint32, payload []byte, arrival time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pushLocked(seq, ts, payload, arrival)
}

func (b *Buffer) pushLocked(seq uint16, ts uint32, payload []byte, arrival time.Time) {
	if len(payload) == 0 || len(payload) > b.maxPayload {
		b.stats.Invalid++
		return
	}
	if !b.anchored {
		b.anchored, b.ref, b.hiSeq = true, int64(ts), int64(seq)
	}
	// Timestamps are taken relative to the playout point, or before
	// playout to the earliest packet held: should Pull not be called, the
	// packets held still move on, dropping the oldest.
	ref := b.ref
	switch {
	case b.timeline:
		ref = b.nextTS
	case b.packets.len() > 0:
		ref = b.packets.earliest().ts
	}
	seqU, tsU := unwrap16(b.hiSeq, seq), unwrap32(ref, ts)
	if b.seen[seqU&(seenWindow-1)] == seqU {
		b.stats.Duplicates++
		return
	}
	// How far beyond everything held and played it is.
	leap := tsU - ref
	if newest := b.packets.newest(); newest != nil {
		leap = tsU - max(ref, newest.ts)
	}
	if ref-tsU > b.gap || leap > b.leap || abs(seqU-b.hiSeq) > maxSeqJump {
		b.newStreamLocked(seq, ts, payload, arrival)
		return
	}
	b.seen[seqU&(seenWindow-1)] = seqU
	b.hiSeq = max(b.hiSeq, seqU)

	if b.timeline && tsU < b.nextTS && !b.rewindableLocked(tsU) {
		b.stats.Late++
		if b.concealRun == 0 || b.packets.len() > 0 {
			b.delay.update(arrival, tsU, b.frameLen)
			return
		}
		// Late while nothing else comes: if it keeps up, the peer's
		// timestamps went back and this is the stream now. Until that is
		// clear its delay is not taken for jitter.
		if b.lateRun++; b.lateRun >= lateRunResync {
			b.restartLocked()
			b.pushLocked(seq, ts, payload, arrival)
		}
		return
	}
	b.lateRun = 0
	if leap <= b.maxDelay {
		// Further beyond the packets held it is no normal packet (a small
		// leap of the peer's clock, or garbage); as the fastest ever it
		// would make every other packet look late.
		b.delay.update(arrival, tsU, b.frameLen)
	}
	if b.cand.valid {
		if b.cand.age++; b.cand.age > newStreamAge {
			b.cand.valid = false
			b.stats.Invalid++
		}
	}
	if b.packets.holds(tsU) {
		b.stats.Duplicates++ // the same timestamp under another sequence number
		return
	}
	if b.packets.full() {
		b.stats.Overflow++
		if tsU < b.packets.earliest().ts {
			return // older than everything held: it is the oldest
		}
		b.packets.popEarliest()
	}
	b.packets.insert(seqU, tsU, payload)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
