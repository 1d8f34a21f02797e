package media

import "time"

// When to probe (see probe.go).
const (
	// probeQuiet: no probe this soon after a decrease; the link has just
	// shown where it stands.
	probeQuiet = 2 * time.Second
	// probeEvery spaces probes after one that found the link's limit.
	// One that did not is followed by the next at once, from the new
	// estimate: from 150 kbit/s to 2.5 Mbit/s in four or five.
	probeEvery = 5 * time.Second
	// probeGain: a cluster carried without a queue sets the estimate to
	// this share of its rate.
	probeGain = 0.9
	// After a large drop (the estimate below recoveryShare of where it
	// stood before it began to fall) the link may come back while video
	// fills the small estimate and shows nothing more; as libwebrtc does
	// after a drop, probes then go on whether or not the sender is short
	// of its estimate, for recoveryWindow: a link that stays low longer
	// has changed, and probing it forever would queue the call every few
	// seconds.
	// A recovery probe that finds the link still low costs the call a
	// short queue (about 100 ms at 150 kbit/s: a moment of late audio).
	// Most dips (a download alongside, a walk away from the access point)
	// last seconds to tens of seconds, so for recoveryPatience the probes
	// come every recoveryProbeEvery, and the call is back within a few
	// seconds of the link whenever it returns; after that, further apart.
	recoveryShare      = 0.5
	recoveryWindow     = time.Minute
	recoveryPatience   = 30 * time.Second
	recoveryProbeEvery = 3 * time.Second
	recoveryProbeLate  = 10 * time.Second
)

// nextProbe asks for a cluster when the sender is limited by its media,
// not by the estimate, or is recovering from a large drop, and the link
// shows no queue or loss: only then is the estimate untested. Called by
// the pacer's goroutine.
func (e *estimator) nextProbe(now time.Time) (id, rate int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	appLimited := float64(e.lastSent) < appLimitedShare*float64(e.target)
	switch {
	case e.fixed, e.lastFeedback.IsZero(), e.flying.measuringProbe(), now.Before(e.probeAt), e.target >= maxBitrate,
		now.Sub(e.lastCut) < probeQuiet, e.lastQueue > rampQueue, e.lastLoss > rampLoss,
		!appLimited && !e.recoveringLocked(now):
		return 0, 0
	}
	e.probeID++
	factor := float64(probeFactor)
	if e.probeLimited {
		factor = probeFactorAfterLimit
	}
	rate = min(int(factor*float64(e.target)), maxBitrate)
	e.flying.startProbe(e.probeID, rate)
	return e.probeID, rate
}

// noteCutLocked records a decrease from prev. A series of cuts from
// above where the last series began starts a new one: recoverTo is where
// the estimate stood before the link fell.
func (e *estimator) noteCutLocked(prev int, now time.Time) {
	e.lastCut = now
	if prev >= e.recoverTo || now.Sub(e.droppedAt) > recoveryWindow {
		e.recoverTo, e.droppedAt = prev, now
	}
}

// recoveringLocked: the estimate is still far below where it stood before
// a recent large drop.
func (e *estimator) recoveringLocked(now time.Time) bool {
	return now.Sub(e.droppedAt) <= recoveryWindow && float64(e.target) < recoveryShare*float64(e.recoverTo)
}

// probeSent hears from the pacer that a cluster is out.
func (e *estimator) probeSent(id, bytes int, span time.Duration) {
	e.flying.probeSent(id, bytes, span, time.Now())
}

// applyProbeLocked raises the estimate to what a probe showed the link
// carries, and schedules the next.
func (e *estimator) applyProbeLocked(now time.Time) {
	r, ok := e.flying.probeOutcome(now)
	if !ok {
		return
	}
	e.probeLimited = !r.carried
	if !r.carried || now.Sub(e.lastCut) < probeQuiet {
		wait := probeEvery
		switch {
		case !e.recoveringLocked(now):
		case now.Sub(e.droppedAt) < recoveryPatience:
			wait = recoveryProbeEvery
		default:
			wait = recoveryProbeLate
		}
		e.probeAt = now.Add(wait)
		e.log.Debug("probe found the link's limit", "id", r.id, "carried", r.rate, "target", e.target, "next", wait)
		return
	}
	e.probeAt = now
	if grown := int(probeGain * float64(r.rate)); grown > e.target {
		e.log.Debug("probe raised the estimate", "id", r.id, "carried", r.rate, "previous", e.target, "target", grown)
		e.target = grown
		// The link carries more than the last congestion said.
		if e.lastCapacity > 0 && grown > e.lastCapacity {
			e.capacity, e.lastCapacity = 0, 0
		}
	}
}
