package jitter

// concealLocked puts n samples of concealment at the playout point in
// sync, 1 ≤ n ≤ the longest frame.
func (b *Buffer) concealLocked(n int) {
	n = min(max(n, 1), len(b.frame))
	out := b.frame[:n]
	silent := b.synthLocked(out)
	b.concealRun += n
	b.nextTS += int64(n)
	b.syncLen = copy(b.sync, out)
	b.syncKind = PullConcealed
	if silent {
		b.syncKind = PullSilent
	}
}

// synthLocked fills out with the concealment that continues the current
// run, faded out after fadeStart and silent after fadeEnd, and reports
// whether it is all silence. It does not advance the run.
func (b *Buffer) synthLocked(out []int16) (silent bool) {
	pos := b.concealRun
	if pos >= b.fadeTo {
		clear(out)
		return true
	}
	n, err := b.dec.Conceal(out)
	if err != nil || n < 0 {
		n = 0
	}
	clear(out[min(n, len(out)):])
	span := int64(b.fadeTo - b.fadeFrom)
	for i := range out {
		if p := pos + i; p >= b.fadeTo {
			out[i] = 0
		} else if p >= b.fadeFrom {
			out[i] = int16(int64(out[i]) * int64(b.fadeTo-p) / span)
		}
	}
	return false
}

// concealTailLocked puts in b.tail the concealment that would have
// followed, for resumeLocked to fade from. It runs before the decoder
// decodes the packet that ends the run.
func (b *Buffer) concealTailLocked() {
	b.synthLocked(b.tail)
}

// resumeLocked crossfades the start of x, decoded audio ending a run of
// concealment, from the concealment's tail, and ends the run.
func (b *Buffer) resumeLocked(x []int16) {
	w := min(len(x), len(b.tail))
	crossfade(x[:w], b.tail[:w], x[:w])
	b.concealRun = 0
}
