package jitter

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

const testRate = 48000

// feedDelays gives the estimator n 20 ms packets in the order they arrive,
// the k-th delayed by delay(k).
func feedDelays(d *delayEstimator, start time.Time, first, n int, delay func(k int) time.Duration) {
	type arrival struct {
		at time.Time
		k  int
	}
	var arrivals []arrival
	for k := first; k < first+n; k++ {
		sent := start.Add(time.Duration(k) * 20 * time.Millisecond)
		arrivals = append(arrivals, arrival{sent.Add(delay(k)), k})
	}
	slices.SortStableFunc(arrivals, func(a, b arrival) int { return a.at.Compare(b.at) })
	for _, a := range arrivals {
		d.update(a.at, int64(a.k*960), 960)
	}
}

func ms(samples int64) time.Duration { return time.Duration(samples) * time.Second / testRate }

func TestDelayEstimatorCleanLink(t *testing.T) {
	d := newDelayEstimator(testRate, 400*time.Millisecond)
	if d.estimate() != 0 {
		t.Fatalf("estimate before any packet %d", d.estimate())
	}
	feedDelays(&d, time.Unix(0, 0), 0, 500, func(int) time.Duration { return 30 * time.Millisecond })
	if got := ms(d.estimate()); got != bucketWidth {
		t.Fatalf("constant delay: jitter %v, want one bucket (%v)", got, bucketWidth)
	}
}

func TestDelayEstimatorFollowsJitter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	uniform := func(int) time.Duration { return time.Duration(rng.Int64N(int64(150 * time.Millisecond))) }
	clean := func(int) time.Duration { return 0 }
	d := newDelayEstimator(testRate, 400*time.Millisecond)
	start := time.Unix(0, 0)

	feedDelays(&d, start, 0, 100, clean)
	feedDelays(&d, start, 100, 10, uniform)
	if got := ms(d.estimate()); got < 60*time.Millisecond {
		t.Errorf("200 ms into heavy jitter the estimate is only %v", got)
	}
	feedDelays(&d, start, 110, 1500, uniform)
	if got := ms(d.estimate()); got < 130*time.Millisecond || got > 155*time.Millisecond {
		t.Errorf("delays uniform in 0–150 ms: jitter %v, want 130–155 ms", got)
	}
	// Jitter stops: the estimate shrinks within seconds.
	k := 1610
	for ; ms(d.estimate()) > 40*time.Millisecond; k++ {
		feedDelays(&d, start, k, 1, clean)
		if k > 1610+500 {
			t.Fatalf("still %v after 10 s without jitter", ms(d.estimate()))
		}
	}
	t.Logf("jitter below 40 ms %v after the jitter stopped", time.Duration(k-1610)*20*time.Millisecond)
}

// TestDelayEstimatorCap: delays beyond the histogram land in its last bucket.
func TestDelayEstimatorCap(t *testing.T) {
	d := newDelayEstimator(testRate, 400*time.Millisecond)
	feedDelays(&d, time.Unix(0, 0), 0, 200, func(k int) time.Duration {
		return time.Duration(k%2) * 3 * time.Second
	})
	if got := ms(d.estimate()); got != 405*time.Millisecond {
		t.Fatalf("jitter %v, want the last bucket's edge 405 ms", got)
	}
}

// TestDelayEstimatorRestart: a new timestamp base does not look like jitter.
func TestDelayEstimatorRestart(t *testing.T) {
	d := newDelayEstimator(testRate, 400*time.Millisecond)
	start := time.Unix(0, 0)
	feedDelays(&d, start, 0, 100, func(int) time.Duration { return 0 })
	d.restart()
	for k := 100; k < 200; k++ {
		d.update(start.Add(time.Duration(k)*20*time.Millisecond), int64(5_000_000+k*960), 960)
	}
	if got := ms(d.estimate()); got != bucketWidth {
		t.Fatalf("after restart jitter %v", got)
	}
}

// TestDelayEstimatorWildClock: arrival times from a clock that jumps by
// centuries neither panic nor stick.
func TestDelayEstimatorWildClock(t *testing.T) {
	d := newDelayEstimator(testRate, 400*time.Millisecond)
	d.update(time.Time{}, 0, 960)
	d.update(time.Unix(1<<40, 0), 960, 960)
	d.update(time.Time{}, 1920, 960)
	if got := ms(d.estimate()); got != 405*time.Millisecond && got != bucketWidth {
		t.Fatalf("jitter %v", got)
	}
}
