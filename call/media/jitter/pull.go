package jitter

// Pull fills out with the next len(out) samples of playout — exactly that
// many, whatever the buffer holds — and says what they were. It is meant
// for the playout clock: a speaker callback or a ticker, any period. Each
// packet is decoded when playout reaches its timestamp; a missing one is
// recovered from the next packet's FEC or concealed.
func (b *Buffer) Pull(out []int16) PullResult {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pullSize = len(out)
	res := PullUnknown
	for filled := 0; filled < len(out); {
		if b.syncPos == b.syncLen && !b.refillLocked() {
			clear(out[filled:])
			if b.pending > 0 {
				b.waited += len(out) - filled
			}
			return res.and(PullWaiting)
		}
		n := copy(out[filled:], b.sync[b.syncPos:b.syncLen])
		b.syncPos += n
		filled += n
		b.stats.Played += uint64(n)
		switch b.syncKind {
		case PullConcealed, PullSilent:
			b.stats.Concealed += uint64(n)
		case PullRecovered:
			b.stats.Recovered += uint64(n)
		}
		res = res.and(b.syncKind)
	}
	return res
}

// refillLocked puts the next stretch of playout in sync, which is empty. It
// reports false when there is nothing to play yet.
func (b *Buffer) refillLocked() bool {
	b.syncPos, b.syncLen = 0, 0
	if b.state == statePlaying && b.cand.valid && b.packets.len() == 0 && b.concealRun >= b.fadeFrom {
		// The stream has gone quiet for a while, longer than a loss or
		// two, and another has begun: follow it.
		b.followCandidateLocked()
	}
	if b.state != statePlaying {
		return b.startLocked()
	}
	b.produceLocked()
	return true
}

// startLocked begins playout, with the first frame in sync, once the
// packets held reach the start level and either the first has waited out
// one pull or they outlast the next packet's arrival by a pull; or once
// the first has waited as long as the target. The pull matters because a
// pull asks at once for audio that plays over its whole period: a packet
// must come that much before its audio plays, or it is missed.
func (b *Buffer) startLocked() bool {
	for b.pending == 0 {
		p := b.packets.earliest()
		if p == nil {
			return false
		}
		n, ok := b.decodeLocked(p.payload)
		seq, ts := p.seq, p.ts
		b.packets.popEarliest()
		if ok {
			b.pending, b.frameLen = n, n
			b.timeline, b.concealRun = true, 0
			b.nextTS = ts + int64(n)
			b.lastRealEnd, b.lastSeq = b.nextTS, seq
		}
	}
	level := b.pending + b.spanLocked()
	low, _ := b.limitsLocked()
	ready := float64(level) >= low && (b.waited > 0 || level >= b.frameLen+b.pullSize)
	if !ready && b.waited < b.targetLocked() {
		return false
	}
	b.state = statePlaying
	b.syncLen = copy(b.sync, b.frame[:b.pending])
	b.syncKind = PullNormal
	b.level = float64(level)
	b.pending, b.waited = 0, 0
	return true
}

// produceLocked puts the audio at the playout point in sync: the packet
// there decoded, or, when it is missing, audio recovered or concealed in
// its place.
func (b *Buffer) produceLocked() {
	for {
		p := b.packets.earliest()
		switch {
		case p == nil: // nothing at all: conceal, and the delay may grow
			b.concealLocked(b.frameLen)
			return
		case p.ts == b.nextTS:
			b.decodeNextLocked(p)
			return
		case b.rewindableLocked(p.ts): // came late, during its concealment
			b.nextTS = p.ts
			b.decodeNextLocked(p)
			return
		case p.ts < b.nextTS: // its time passed while it waited behind an earlier one
			b.packets.popEarliest()
			b.stats.Late++
			continue
		}
		// The packet at the playout point is missing at its playout time.
		gap := p.ts - b.nextTS
		frame := int64(b.frameLen)
		switch {
		case gap > frame:
			// Several missing: conceal up to the last one, which the
			// packet after it may recover.
			b.concealLocked(int(min(frame, gap-frame)))
		case p.seq-1 > b.lastSeq && (b.fec == nil || b.fec.HasFEC(p.payload)):
			b.recoverLocked(p, int(gap))
		default:
			b.concealLocked(int(gap))
		}
		return
	}
}

// decodeNextLocked decodes p, the packet at the playout point, into sync,
// time-scaled if the level is off target.
func (b *Buffer) decodeNextLocked(p *packet) {
	resumed := b.concealRun > 0
	if resumed {
		b.concealTailLocked()
	}
	n, ok := b.decodeLocked(p.payload)
	seq := p.seq
	b.packets.popEarliest()
	if !ok {
		b.concealLocked(b.frameLen)
		return
	}
	if resumed {
		b.resumeLocked(b.frame[:n])
	}
	b.frameLen = n
	b.nextTS += int64(n)
	b.lastRealEnd, b.lastSeq = b.nextTS, seq
	b.syncKind = PullNormal

	b.steerLocked(b.frame[:n])
}

// recoverLocked puts the gap samples before p, whose packet is missing,
// in sync from p's FEC.
func (b *Buffer) recoverLocked(p *packet, gap int) {
	resumed := b.concealRun > 0
	if resumed {
		b.concealTailLocked()
	}
	n, err := b.dec.DecodeFEC(p.payload, b.frame[:gap])
	if err != nil || n <= 0 || n > gap {
		b.concealLocked(gap)
		return
	}
	if resumed {
		b.resumeLocked(b.frame[:n])
	}
	b.nextTS += int64(n)
	b.lastRealEnd, b.lastSeq = b.nextTS, p.seq-1
	b.syncLen = copy(b.sync, b.frame[:n])
	b.syncKind = PullRecovered
}

// decodeLocked decodes payload into b.frame, counting a failure as an
// invalid packet.
func (b *Buffer) decodeLocked(payload []byte) (int, bool) {
	n, err := b.dec.Decode(payload, b.frame)
	if err != nil || n <= 0 || n > len(b.frame) {
		b.stats.Invalid++
		return 0, false
	}
	return n, true
}
