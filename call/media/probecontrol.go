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
)

// nextProbe asks for a cluster when the sender is limited by its media,
// not by the estimate, and the link shows no queue or loss: only then is
// the estimate untested. Called by the pacer's goroutine.
func (e *estimator) nextProbe(now time.Time) (id, rate int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.fixed, e.lastFeedback.IsZero(), e.flying.measuringProbe(), now.Before(e.probeAt), e.target >= maxBitrate,
		now.Sub(e.lastCut) < probeQuiet, e.lastQueue > rampQueue, e.lastLoss > rampLoss,
		float64(e.lastSent) >= appLimitedShare*float64(e.target):
		return 0, 0
	}
	e.probeID++
	rate = min(probeFactor*e.target, maxBitrate)
	e.flying.startProbe(e.probeID, rate)
	return e.probeID, rate
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
	if !r.carried || now.Sub(e.lastCut) < probeQuiet {
		e.probeAt = now.Add(probeEvery)
		e.log.Debug("probe found the link's limit", "id", r.id, "carried", r.rate, "target", e.target)
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
