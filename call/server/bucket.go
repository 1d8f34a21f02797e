package server

import (
	"math"
	"time"
)

// bucket is a token bucket: it holds up to burst tokens and gains one every
// every. Taking a token is allowing one action. Unlike x/time/rate it can
// give a token back after the fact (a call that was answered was wanted, so
// it does not count against the limit of unwanted ringing).
//
// Not safe for concurrent use: its owner serialises access.
type bucket struct {
	every  time.Duration // zero means unlimited
	burst  float64
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

func newBucket(r Rate, now time.Time) bucket {
	if r.unlimited() {
		return bucket{}
	}
	return bucket{every: r.Every, burst: float64(r.Burst), tokens: float64(r.Burst), at: now}
}

// refill brings tokens up to date at now. A clock that steps back gains nothing.
func (b *bucket) refill(now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(b.burst, b.tokens+float64(d)/float64(b.every))
		b.at = now
	}
}

// take spends a token if there is one. If not, it reports how long until
// there will be.
func (b *bucket) take(now time.Time) (ok bool, retryAfter time.Duration) {
	if b.every == 0 {
		return true, 0
	}
	b.refill(now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration(math.Ceil((1 - b.tokens) * float64(b.every)))
	return false, max(wait, time.Millisecond)
}

// takeN spends n tokens at once if there are that many; n above the burst
// never passes.
func (b *bucket) takeN(now time.Time, n float64) (ok bool, retryAfter time.Duration) {
	if b.every == 0 {
		return true, 0
	}
	b.refill(now)
	if b.tokens >= n {
		b.tokens -= n
		return true, 0
	}
	wait := time.Duration(math.Ceil((n - b.tokens) * float64(b.every)))
	return false, max(wait, time.Millisecond)
}

// spend takes a token spent elsewhere: what is left of one when there is
// less, never refused.
func (b *bucket) spend(now time.Time) {
	if b.every == 0 {
		return
	}
	b.refill(now)
	b.tokens = math.Max(0, b.tokens-1)
}

// giveBack returns a token taken earlier, up to the burst.
func (b *bucket) giveBack(now time.Time) {
	if b.every == 0 {
		return
	}
	b.refill(now)
	b.tokens = math.Min(b.burst, b.tokens+1)
}

// full reports whether the bucket is back at its burst: an idle bucket that
// can be forgotten, since a new one starts full.
func (b *bucket) full(now time.Time) bool {
	if b.every == 0 {
		return true
	}
	b.refill(now)
	return b.tokens >= b.burst
}
