package jitter

import "time"

// Push stores a received packet: its RTP sequence number, timestamp and
// payload (copied; the caller may reuse it), and when it arrived, from
// which the jitter is measured. Packets behind the playout point (late),
// received twice, empty or larger than the configured MaxPayload are
// dropped and counted.
// Push never decodes.
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
	ref := b.ref
	if b.timeline {
		ref = b.nextTS
	}
	seqU, tsU := unwrap16(b.hiSeq, seq), unwrap32(ref, ts)
	if b.seen[seqU&(seenWindow-1)] == seqU {
		b.stats.Duplicates++
		return
	}
	ahead := tsU - ref
	if abs(ahead) > b.gap || (b.timeline && ahead > 2*b.maxDelay) || abs(seqU-b.hiSeq) > maxSeqJump {
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
	if !b.timeline || ahead <= b.maxDelay {
		// Further ahead it is no normal packet (a small jump of the
		// peer's clock, or garbage); as the fastest ever it would make
		// every other packet look late.
		b.delay.update(arrival, tsU, b.frameLen)
	}
	if b.cand.valid {
		if b.cand.age++; b.cand.age > newStreamAge {
			b.cand.valid = false
			b.stats.Invalid++
		}
	}
	if b.packets.full() {
		b.stats.Overflow++
		if tsU < b.packets.earliest().ts {
			return // older than everything held: it is the oldest
		}
		b.packets.popEarliest()
	}
	if !b.packets.insert(seqU, tsU, payload) {
		b.stats.Duplicates++ // another packet with the same timestamp
	}
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

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
