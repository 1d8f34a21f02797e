package jitter

import "math"

// quietEnergy is the mean energy per sample (about −60 dBFS) below which
// audio counts as quiet: any splice there is inaudible, so the time scaler
// skips the search and takes the longest stretch.
const quietEnergy = 1000

// timeScaler shortens or lengthens decoded audio by one stretch without
// changing its pitch, as WSOLA does. The stretch is a lag at which the
// audio resembles itself — a pitch period or a multiple of one, found by
// normalised cross-correlation — and the splice is crossfaded over overlap
// samples so that it does not click.
type timeScaler struct {
	minLag, maxLag, overlap int // samples
}

// newTimeScaler removes or repeats 2.5–15 ms at a time, with a 5 ms
// crossfade: short enough not to be heard as a skip or a stutter, long
// enough to hold the pitch period of a low voice (70 Hz).
func newTimeScaler(rate int) timeScaler {
	return timeScaler{minLag: rate / 400, maxLag: rate * 15 / 1000, overlap: rate / 200}
}

// lagRange returns the lags usable on n samples when at most limit may be
// added or removed; ok is false when there is none.
func (t timeScaler) lagRange(n, limit int) (lo, hi int, ok bool) {
	hi = min(t.maxLag, limit, n-t.overlap)
	return t.minLag, hi, hi >= t.minLag && t.overlap > 0
}

// searchStep is the coarse search's stride in lags and samples: a quarter
// of the work at every step, refined at full resolution around the winner.
const searchStep = 4

// bestLag returns the lag in [lo, hi] at which x[lag:lag+overlap] most
// resembles x[:overlap]; x holds at least hi+overlap samples.
func (t timeScaler) bestLag(x []int16, lo, hi int) int {
	w := t.overlap
	if energy(x[:w], 1) < quietEnergy*int64(w) {
		return hi
	}
	coarse, _ := t.search(x, lo, hi, searchStep)
	best, _ := t.search(x, max(lo, coarse-searchStep+1), min(hi, coarse+searchStep-1), 1)
	return best
}

// search scores the lags lo, lo+step, … ≤ hi on every step-th sample and
// returns the best with its normalised correlation.
func (t timeScaler) search(x []int16, lo, hi, step int) (best int, bestScore float64) {
	w := t.overlap
	a := x[:w:w]
	e0 := float64(energy(a, step))
	best, bestScore = hi, math.Inf(-1)
	for lag := lo; lag <= hi; lag += step {
		b := x[lag : lag+w : lag+w]
		var c int64
		for i := 0; i < w; i += step {
			c += int64(a[i]) * int64(b[i])
		}
		e := energy(b, step)
		if e == 0 {
			continue
		}
		if score := float64(c) / math.Sqrt(e0*float64(e)); score > bestScore {
			best, bestScore = lag, score
		}
	}
	return best, bestScore
}

// energy is the sum of squares of every step-th sample of x.
func energy(x []int16, step int) int64 {
	var e int64
	for i := 0; i < len(x); i += step {
		e += int64(x[i]) * int64(x[i])
	}
	return e
}

// accelerate writes x less one stretch of at most limit samples to dst
// (which has room for len(x)) and returns the samples removed: 0, with dst
// untouched, when x is too short for any.
func (t timeScaler) accelerate(dst, x []int16, limit int) int {
	lo, hi, ok := t.lagRange(len(x), limit)
	if !ok {
		return 0
	}
	lag := t.bestLag(x, lo, hi)
	w := t.overlap
	crossfade(dst[:w], x[:w], x[lag:lag+w])
	copy(dst[w:], x[lag+w:])
	return lag
}

// expand writes x with one stretch of at most limit samples repeated to dst
// (which has room for len(x)+limit) and returns the samples inserted: 0,
// with dst untouched, when x is too short for any.
func (t timeScaler) expand(dst, x []int16, limit int) int {
	lo, hi, ok := t.lagRange(len(x), limit)
	if !ok {
		return 0
	}
	lag := t.bestLag(x, lo, hi)
	w := t.overlap
	copy(dst[:lag], x[:lag])
	crossfade(dst[lag:lag+w], x[lag:lag+w], x[:w])
	copy(dst[lag+w:], x[w:])
	return lag
}

// crossfade writes to dst a linear fade from `from` to `to`; all three have
// the same length. dst may be from.
func crossfade(dst, from, to []int16) {
	n := int32(len(dst))
	for i := range dst {
		f, g := int32(from[i]), int32(to[i])
		dst[i] = int16(f + (g-f)*int32(i+1)/(n+1))
	}
}
