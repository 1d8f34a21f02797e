package devices

// pcmRing is the playback jitter buffer: interleaved int16 samples in a
// fixed ring. Writes never block; when full, the oldest samples are dropped
// (latency stays bounded). Reads fill with silence on underrun, and after an
// underrun playback waits until prefill samples are queued again, so a
// jittery network produces occasional gaps instead of constant crackle.
//
// pcmRing is not safe for concurrent use; Playback guards it with a mutex.
type pcmRing struct {
	buf      []int16
	start    int // index of the oldest sample
	n        int // samples queued
	prefill  int // samples needed before (re)starting
	playing  bool
	dropped  uint64 // samples discarded because the ring was full
	underrun uint64 // reads that ran dry while playing
}

func newPCMRing(capacity, prefill int) *pcmRing {
	return &pcmRing{buf: make([]int16, capacity), prefill: min(prefill, capacity)}
}

func (r *pcmRing) write(pcm []int16) {
	if len(pcm) >= len(r.buf) {
		r.dropped += uint64(r.n + len(pcm) - len(r.buf))
		copy(r.buf, pcm[len(pcm)-len(r.buf):])
		r.start, r.n = 0, len(r.buf)
		return
	}
	if over := r.n + len(pcm) - len(r.buf); over > 0 {
		r.start = (r.start + over) % len(r.buf)
		r.n -= over
		r.dropped += uint64(over)
	}
	end := (r.start + r.n) % len(r.buf)
	k := copy(r.buf[end:], pcm)
	copy(r.buf, pcm[k:])
	r.n += len(pcm)
}

// read fills out completely: queued samples first, then silence.
func (r *pcmRing) read(out []int16) {
	if !r.playing && r.n >= r.prefill && r.n > 0 {
		r.playing = true
	}
	got := 0
	if r.playing {
		got = min(len(out), r.n)
		k := copy(out[:got], r.buf[r.start:min(len(r.buf), r.start+got)])
		copy(out[k:got], r.buf)
		r.start = (r.start + got) % len(r.buf)
		r.n -= got
		if got < len(out) {
			r.playing = false
			r.underrun++
		}
	}
	clear(out[got:])
}
