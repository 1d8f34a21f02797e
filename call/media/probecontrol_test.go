package media

import (
	"log/slog"
	"testing"
	"time"

	"duet/call/leaktest"
)

// quietEstimator is an estimator with feedback flowing and the sender
// filling rate of its estimate: its ordinary probing stays off.
func quietEstimator(t *testing.T, target int, now time.Time) *estimator {
	t.Helper()
	e, err := newEstimator(func() int { return 0 }, func() time.Duration { return 50 * time.Millisecond },
		slog.New(slog.DiscardHandler), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	e.mu.Lock()
	e.target, e.lastFeedback, e.lastSent = target, now, target
	e.mu.Unlock()
	return e
}

// cut lowers the estimate as congestion does, to each rate in turn.
func (e *estimator) cut(now time.Time, to ...int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, rate := range to {
		e.cutLocked(rate, now)
	}
}

func (e *estimator) cutLocked(rate int, now time.Time) {
	prev := e.target
	e.target, e.lastSent = rate, rate
	e.noteCutLocked(prev, now)
}

// failProbe reports the probe in flight as found wanting: nothing of it
// arrived. It returns when the next may go.
func (e *estimator) failProbe(t *testing.T, id int, now time.Time) time.Time {
	t.Helper()
	e.probeSent(id, probeMinBytes, probeMinTime)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.applyProbeLocked(now.Add(probeFeedbackWait))
	if e.flying.measuringProbe() {
		t.Fatalf("probe %d still measured after its wait", id)
	}
	return e.probeAt
}

// TestRecoveryProbesAfterALargeDrop: video that fills a small estimate
// shows nothing of a link that has come back, so after a large drop the
// estimator probes anyway, every few seconds for a while and then
// further apart while the link is still low, and not at all after an
// ordinary cut.
func TestRecoveryProbesAfterALargeDrop(t *testing.T) {
	leaktest.Check(t)
	t0 := time.Now()

	e := quietEstimator(t, 2_000_000, t0)
	e.cut(t0, 1_000_000, 400_000, 150_000)
	if id, _ := e.nextProbe(t0.Add(probeQuiet / 2)); id != 0 {
		t.Fatal("probed right after a cut")
	}
	at := t0.Add(probeQuiet)
	var waits []time.Duration
	for i := range 4 {
		// The first asks for twice the estimate; after one that found
		// the link's limit, only whether it has grown by half.
		want := probeFactor * 150_000
		if i > 0 {
			want = int(probeFactorAfterLimit * 150_000)
		}
		id, rate := e.nextProbe(at)
		if id == 0 || rate != want {
			t.Fatalf("after %v of recovery probes: probe %d at %d bits/s, want one at %d", waits, id, rate, want)
		}
		next := e.failProbe(t, id, at)
		waits = append(waits, next.Sub(at.Add(probeFeedbackWait)))
		if id, _ := e.nextProbe(next.Add(-time.Millisecond)); id != 0 {
			t.Fatalf("probed again before the wait of %v ran out", waits[len(waits)-1])
		}
		at = next
	}
	for _, w := range waits {
		if w != recoveryProbeEvery {
			t.Errorf("waits between recovery probes %v, want %v each", waits, recoveryProbeEvery)
			break
		}
	}
	// A sender short of its estimate (a small layer) is recovering all the
	// same: its probes are spaced as recovery probes.
	e.mu.Lock()
	e.lastSent = e.target / 2
	e.mu.Unlock()
	if id, _ := e.nextProbe(at); id == 0 {
		t.Fatal("no probe from a sender short of its estimate while recovering")
	} else if next := e.failProbe(t, id, at); next.Sub(at.Add(probeFeedbackWait)) != recoveryProbeEvery {
		t.Errorf("an app-limited sender's recovery probe waits %v, want %v", next.Sub(at.Add(probeFeedbackWait)), recoveryProbeEvery)
	}
	late := t0.Add(recoveryPatience)
	if id, _ := e.nextProbe(late); id == 0 {
		t.Fatal("no recovery probe after the first half minute")
	} else if next := e.failProbe(t, id, late); next.Sub(late.Add(probeFeedbackWait)) != recoveryProbeLate {
		t.Errorf("a recovery probe %v after the drop waits %v, want %v", recoveryPatience, next.Sub(late.Add(probeFeedbackWait)), recoveryProbeLate)
	}
	e.mu.Lock()
	e.lastSent = e.target
	e.mu.Unlock()
	if id, _ := e.nextProbe(t0.Add(recoveryWindow + time.Second)); id != 0 {
		t.Error("still probing for a recovery a whole window after the drop")
	}

	// A link at its capacity: the sawtooth's cuts are no large drop.
	e = quietEstimator(t, 1_000_000, t0)
	e.cut(t0, 850_000)
	if id, _ := e.nextProbe(t0.Add(probeQuiet)); id != 0 {
		t.Error("probed after an ordinary cut while video fills the estimate")
	}

	// Back above where it stood: a later drop is measured from there.
	e = quietEstimator(t, 1_000_000, t0)
	e.cut(t0, 300_000)
	e.mu.Lock()
	e.target = 2_000_000
	e.mu.Unlock()
	e.cut(t0.Add(10*time.Second), 600_000)
	if id, rate := e.nextProbe(t0.Add(10*time.Second + probeQuiet)); id == 0 || rate != probeFactor*600_000 {
		t.Errorf("after a drop from a new high: probe %d at %d bits/s", id, rate)
	}
}

// TestRecoveryRampsOnlyToTheCarriedRate: after the link fell the fast
// ramp stops at the rate the link last carried, however long ago that was
// measured, and what arrives since only raises that rate; after an
// ordinary cut, or one to half as after a probe's overshoot, the rate is
// forgotten after a while, and at once when the link carries well beyond
// it.
func TestRecoveryRampsOnlyToTheCarriedRate(t *testing.T) {
	leaktest.Check(t)
	t0 := time.Now()
	e := quietEstimator(t, 2_000_000, t0)
	e.cut(t0, 150_000)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.noteCapacityLocked(140_000, t0)
	later := t0.Add(2 * capacityMemory)
	for _, c := range []struct {
		target, delivered int
		ramp              bool
	}{
		{100_000, 140_000, true},
		{140_000, 140_000, false},
		{150_000, 200_000, true}, // the link carried more: the ramp goes to it
		{200_000, 200_000, false},
	} {
		e.target = c.target
		if got := e.rampingLocked(later, c.delivered); got != c.ramp {
			t.Errorf("recovering at %d bits/s with %d delivered: ramping %v, want %v", c.target, c.delivered, got, c.ramp)
		}
	}
	if e.capacity != 140_000 || e.lastCapacity != 200_000 {
		t.Errorf("while recovering the link's rate became %d (last %d), want 140000 kept (last 200000)", e.capacity, e.lastCapacity)
	}

	e.target = 1_000_000
	e.recoverTo, e.droppedAt = 0, time.Time{}
	e.noteCapacityLocked(850_000, t0)
	e.target = 900_000
	if e.rampingLocked(t0, 850_000) {
		t.Error("ramping past the congested rate right after an ordinary cut")
	}
	if !e.rampingLocked(later, 1_200_000) {
		t.Error("not ramping once the link carried well beyond an ordinary cut's rate")
	}

	e.target = 720_000
	e.cutLocked(340_000, t0)
	e.noteCapacityLocked(400_000, t0)
	if ramping := e.rampingLocked(later, 300_000); !ramping || e.capacity != 0 {
		t.Errorf("%v after a cut to half: ramping %v with the link's rate %d kept, want it forgotten", later.Sub(t0), ramping, e.capacity)
	}
}
