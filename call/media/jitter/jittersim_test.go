package jitter

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestHeavyJitter: delays uniform in 0–150 ms grow the target to
// 150–200 ms with little concealment; when the jitter stops, the target
// shrinks back below 60 ms within seconds.
func TestHeavyJitter(t *testing.T) {
	const jitterFor, cleanFor = 1500, 1000 // packets: 30 s, then 20 s
	const stop = 30 * time.Second
	rng := rand.New(rand.NewPCG(7, 11))
	delays := make([]time.Duration, jitterFor+cleanFor)
	for k := range delays {
		delays[k] = 5 * time.Millisecond
		if k < jitterFor {
			delays[k] += time.Duration(rng.Int64N(int64(150 * time.Millisecond)))
		}
	}
	b := newTestBuffer(t, newPCMCodec())
	r := simulate(b, link{delay: func(k int) time.Duration { return delays[k] }}, len(delays), 480)
	for s := time.Second; s <= 50*time.Second; s += time.Second {
		st := r.statsAt(s)
		t.Logf("%2v: level %3d ms, target %3d ms, jitter %3d ms, concealed %.2f%%, late %d, accelerates %d, expands %d",
			s, st.Level.Milliseconds(), st.Target.Milliseconds(), st.Jitter.Milliseconds(),
			100*st.ConcealedShare(), st.Late, st.Accelerates, st.Expands)
	}

	for s := 10 * time.Second; s <= stop; s += time.Second {
		if tg := r.statsAt(s).Target; tg < 150*time.Millisecond || tg > 200*time.Millisecond {
			t.Errorf("at %v under jitter the target is %v, want 150–200 ms", s, tg)
		}
	}
	if share := r.statsAt(stop).ConcealedShare(); share > 0.02 {
		t.Errorf("%.2f%% concealed under jitter, want < 2%%", 100*share)
	}
	settled, end := r.statsAt(5*time.Second), r.statsAt(stop)
	if share := float64(end.Concealed-settled.Concealed) / float64(end.Played-settled.Played); share > 0.01 {
		t.Errorf("%.2f%% concealed once settled, want < 1%%", 100*share)
	}
	shrunk := time.Duration(0)
	for s := stop; s <= stop+20*time.Second; s += 100 * time.Millisecond {
		if r.statsAt(s).Target < 60*time.Millisecond {
			shrunk = s - stop
			break
		}
	}
	t.Logf("target below 60 ms %v after the jitter stopped", shrunk)
	if shrunk == 0 || shrunk > 10*time.Second {
		t.Errorf("target still %v 20 s after the jitter stopped", r.statsAt(stop+20*time.Second).Target)
	}
	if lv := r.statsAt(stop + 15*time.Second).Level; lv > 60*time.Millisecond {
		t.Errorf("level %v 15 s after the jitter stopped", lv)
	}
}
