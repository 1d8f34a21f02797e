package media

import (
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// The send-side estimate's bounds. A call starts at startBitrate (enough
// for audio and 320x240 video) and ramps up from there.
const (
	startBitrate = 400_000
	minBitrate   = 60_000
	maxBitrate   = 2_500_000
)

// Ramp-up. Pion's GCC raises its estimate by 8 % a second: from 400 kbit/s
// a good link would wait 14 s for 1.2 Mbit/s, and after a dip half a minute
// for its old rate. libwebrtc probes instead; here the media itself probes:
// while GCC sees no congestion and the rate is well below the last rate
// at which it saw some (or none has been seen, or that one is outgrown),
// the estimate grows by rampFactor a second. Near the last congested rate
// it follows GCC's own cautious increase.
const (
	rampFactor = 1.7
	// gccIncrease is GCC's multiplicative increase, per second.
	gccIncrease = 1.08
	// maxIncreaseOverDelivered bounds that increase by what was delivered
	// or, for a sender that cannot fill its estimate (after a dip, at a
	// small size), by the last congested rate; nearCongestionIncrease does
	// within capacityMemory of the congestion, where the sawtooth of a
	// link at its capacity peaks.
	maxIncreaseOverDelivered = 1.5
	nearCongestionIncrease   = 1.15
	// nearCapacity: at or above this share of the last congested rate the
	// fast ramp stops.
	nearCapacity = 0.7
	// outgrown: delivering this much above the last congested rate means
	// that rate no longer says anything about the link. On a link at its
	// capacity delivery cannot get there.
	outgrown = 1.3
	// fellShare: an estimate cut to under this share of where it stood
	// follows a link that fell (see fellLocked).
	fellShare = 0.25
	// capacityMemory: after this long without congestion the last
	// congested rate is forgotten and the fast ramp tries again: the link
	// may have grown, and a sender that does not fill the estimate (a
	// still picture) could never show that it has.
	capacityMemory = 3 * time.Second
	// appLimitedShare: sending less than this share of the estimate is
	// being limited by the source, not the link.
	appLimitedShare = 0.7
	// appLimitedHeadroom: how far the ramp may run ahead of what is sent.
	// Beyond it a sender short of its estimate learns the link by probing
	// (see probe.go): an estimate grown on a guess would meet the next
	// burst of detail or step up the ladder with a queue.
	appLimitedHeadroom = 2.5
	// rampLoss: above this loss the ramp waits; GCC's loss control acts
	// above lossCongestion.
	rampLoss        = 0.05
	lossCongestion  = 0.1
	lossCutInterval = 300 * time.Millisecond
	// lossEvidence: this much loss with GCC's congestion shows the link
	// is full.
	lossEvidence = 0.02
	// trendQueue: GCC's overuse is taken for congestion only with at least
	// this much queue on the path (or loss): its trend reads a key frame's
	// or a probe's packets arriving bunched as a rising delay, and cut a
	// recovered estimate by three quarters on an empty link.
	trendQueue = 5 * time.Millisecond
	// rampQueue: with more queue than this on the path the estimate holds;
	// a path's jitter alone does not reach it (see queueDelay).
	rampQueue = 30 * time.Millisecond
	// standingQueue: more queue than this is congestion, whatever GCC
	// makes of the trend; after a cut the queue gets queueDrain to empty.
	standingQueue = 60 * time.Millisecond
	queueDrain    = time.Second
	// feedbackTimeout: feedback normally comes every 100 ms or so.
	feedbackTimeout = 500 * time.Millisecond
	// The window of bytes in flight is the estimate over the path's base
	// round trip and a margin: the peer's feedback interval and
	// windowSlack, and the queue the path holds now, up to
	// windowQueueMost, or a steady link would close the window. Not more,
	// for when the capacity falls at once what is in flight lands in the
	// bottleneck's queue, ahead of the audio: at 2.5 Mbit/s a window 20 ms
	// wider is a third of a second more of late audio at 150 kbit/s. The
	// price: the window closes on a frame now and then (one in thirty to
	// forty at 2 Mbit/s); an audio call that breaks up is worse than a
	// video a frame short. windowSlack is for the report's own way back
	// and the resends of a lossy link: with 10 ms, 2 % loss closed the
	// window on one frame in fifty. minWindow lets a few packets through
	// however small the estimate.
	windowSlack     = 20 * time.Millisecond
	windowQueueMost = 40 * time.Millisecond
	minWindow       = 4 * 1200
)

// estimator is Duet's bandwidth estimator: pion's GCC (delay and loss
// based, fed by transport-wide feedback) with a faster ramp up and a
// back-off when the feedback stalls. Its target paces the packets, bounds
// retransmissions and drives the encoders.
//
// Safe for concurrent use.
type estimator struct {
	gcc *gcc.SendSideBWE

	mu           sync.Mutex
	target       int           // guarded by mu
	capacity     int           // guarded by mu: what the link carried at the last congestion; 0 = none
	lastCapacity int           // guarded by mu: the same, never forgotten; 0 = no congestion yet
	congestedAt  time.Time     // guarded by mu
	lastDelay    int           // guarded by mu: GCC's delay target at the last look
	lastUpdate   time.Time     // guarded by mu
	congestions  int           // guarded by mu
	lastTrace    time.Time     // guarded by mu
	lastBackoff  time.Time     // guarded by mu
	onChange     func(int)     // guarded by mu
	lastFeedback time.Time     // guarded by mu
	pace         feedbackPace  // guarded by mu
	lastCut      time.Time     // guarded by mu: the last decrease, for whatever reason
	recoverTo    int           // guarded by mu: the estimate before a large drop, to probe back towards; 0 = none
	droppedAt    time.Time     // guarded by mu: when the estimate began to fall from recoverTo
	lastLossCut  time.Time     // guarded by mu
	lastSent     int           // guarded by mu: what was sent at the last update
	lastQueue    time.Duration // guarded by mu
	lastLoss     float64       // guarded by mu: with lastQueue, as at the last update
	probeID      int           // guarded by mu: the last cluster asked for
	probeAt      time.Time     // guarded by mu: no probe before
	probeLimited bool          // guarded by mu: the last probe found the link's limit
	sent         func() int
	log          *slog.Logger
	flying       *inFlight
	// fixed keeps the target at maxBitrate: on loopback there is no link
	// to estimate, only a busy CPU that GCC would take for congestion; an
	// echo forwards what the caller's own estimate allows.
	fixed bool

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// newEstimator wraps a GCC estimator; sent reports the bits/s actually sent
// over the last second, to tell a rate the link carries from one the
// encoder never reached.
func newEstimator(sent func() int, baseRTT func() time.Duration, log *slog.Logger, fixed bool) (*estimator, error) {
	g, err := gcc.NewSendSideBWE(
		gcc.SendSideBWEInitialBitrate(startBitrate),
		gcc.SendSideBWEMinBitrate(minBitrate),
		gcc.SendSideBWEMaxBitrate(maxBitrate),
		// Duet's pacer (see pacer) sits outside the transport-wide
		// numbering; GCC's own leaky bucket would queue without bound.
		gcc.SendSideBWEPacer(gcc.NewNoOpPacer()),
	)
	if err != nil {
		return nil, err
	}
	e := &estimator{gcc: g, target: startBitrate, sent: sent, log: log, fixed: fixed, flying: newInFlight(),
		done: make(chan struct{})}
	if fixed {
		e.target = maxBitrate
		return e, nil
	}
	e.wg.Add(1)
	go e.watchFeedback(baseRTT)
	return e, nil
}

// AddStream counts the stream's packets in flight as they leave.
func (e *estimator) AddStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	var extID uint8
	for _, x := range info.RTPHeaderExtensions {
		if x.URI == sdp.TransportCCURI {
			extID = uint8(x.ID)
		}
	}
	next := e.gcc.AddStream(info, w)
	if extID == 0 {
		return next
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		n, err := next.Write(h, payload, a)
		if err == nil {
			cluster, _ := a.Get(probeKey{}).(int)
			e.flying.sent(h, h.MarshalSize()+len(payload)+int(h.PaddingSize), extID, cluster, time.Now())
		}
		return n, err
	})
}

// window is how many bytes may be in flight: what the estimate carries in
// a round trip and a margin (libwebrtc's congestion window).
func (e *estimator) window(rtt time.Duration) int {
	e.mu.Lock()
	target, queue, interval := e.target, e.lastQueue, e.pace.interval()
	e.mu.Unlock()
	return max(int(float64(target)/8*(rtt+interval+windowSlack+min(queue, windowQueueMost)).Seconds()), minWindow)
}

// WriteRTCP feeds GCC the peer's feedback, then updates the target.
func (e *estimator) WriteRTCP(pkts []rtcp.Packet, a interceptor.Attributes) error {
	if err := e.gcc.WriteRTCP(pkts, a); err != nil {
		return err
	}
	now := time.Now()
	feedback := false
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.TransportLayerCC:
			e.flying.feedback(p, now)
			feedback = true
		case *rtcp.CCFeedbackReport:
			feedback = true
		}
	}
	if feedback {
		e.mu.Lock()
		e.lastFeedback = now
		e.pace.note(now)
		e.mu.Unlock()
		e.update(now)
	}
	return nil
}

// update applies GCC's view to the target: down with GCC on congestion,
// up faster than GCC while the link has room.
func (e *estimator) update(now time.Time) {
	if e.fixed {
		return
	}
	st := e.gcc.GetStats()
	delayTarget, _ := st["delayTargetBitrate"].(int)
	loss, _ := st["averageLoss"].(float64)
	usage, _ := st["usage"].(string)
	state, _ := st["state"].(string)
	sent := e.sent() // before mu: the pacer calls in holding its own lock
	delivered := e.flying.ackedRate(now)
	queue, arriving := e.flying.queued()

	e.mu.Lock()
	dt := now.Sub(e.lastUpdate)
	if e.lastUpdate.IsZero() {
		dt = 0
	}
	e.lastUpdate = now
	prev := e.target
	// Before its first delay update GCC reports the zero value, overuse.
	// Its delay target also falls when the sender sends less than it
	// (it caps at 1.5 × the received rate); only a fall below what is sent
	// is a decrease, one GetStats may have missed.
	decreased := delayTarget < e.lastDelay && delayTarget < sent
	congested := delayTarget > 0 && (state == "decrease" || usage == "overuse" || decreased) &&
		(queue >= trendQueue || loss >= lossEvidence)
	if delayTarget > 0 {
		e.lastDelay = delayTarget
	}
	standing := queue > standingQueue && now.Sub(e.congestedAt) > queueDrain
	switch {
	case congested || standing:
		// GCC's decrease goes to 85 % of what arrived; its own target may
		// lag far below that after a fast ramp. A queue that GCC missed
		// goes by what arrives now: the last second may still hold a
		// rate the link no longer carries.
		cut := int(0.85 * float64(carriedRate(delivered, arriving)))
		if congested {
			cut = max(cut, delayTarget)
		}
		e.target = min(e.target, max(cut, minBitrate))
		// The link carried what arrived, not what we cut to; but only a
		// queue or loss shows that the link, not a busy receiver's late
		// timestamps or a sender short of its estimate, set the rate.
		if standing || queue >= rampQueue || loss >= lossEvidence {
			e.noteCapacityLocked(max(e.target, carriedRate(delivered, arriving)), now)
		}
		e.congestions++
		e.noteCutLocked(prev, now)
		e.log.Debug("congestion", "usage", usage, "state", state, "gccDelayTarget", delayTarget, "queue", queue,
			"arriving", arriving, "delivered", delivered, "previous", prev, "target", e.target, "sent", sent, "loss", loss)
	case queue > rampQueue:
		// A queue is building: no more until it drains.
	case loss > lossCongestion:
		// GCC's loss rule, lose half the loss rate, spaced as libwebrtc
		// spaces it: feedback every 50 ms would otherwise compound a
		// burst of loss into a collapse.
		if now.Sub(e.lastLossCut) >= lossCutInterval {
			e.target = int(float64(e.target) * (1 - 0.5*loss))
			e.lastLossCut = now
			e.noteCutLocked(prev, now)
			e.log.Debug("loss", "loss", loss, "previous", prev, "target", e.target)
		}
	case loss < rampLoss && e.rampingLocked(now, delivered):
		// A sender that does not fill the estimate cannot test it: growth
		// stops at a few times what it sends (libwebrtc's application
		// limited region) and probes take it further.
		grown := float64(e.target) * math.Pow(rampFactor, min(dt.Seconds(), 0.5))
		grown = min(grown, max(float64(e.target), appLimitedHeadroom*float64(sent)))
		e.target = max(e.target, int(grown))
	default:
		// GCC's own increase, from our target: GCC's estimate may be far
		// above it after a back-off, which it must not undo, or below it
		// after a ramp, where it must not hold it back.
		grown := float64(e.target) * math.Pow(gccIncrease, min(dt.Seconds(), 0.5))
		// Only as far as the link has shown it carries (libwebrtc's
		// bound): an estimate grown while the encoder sent less is a
		// guess; a sender short of its estimate probes instead.
		// On a link seen to congest, barely past the rate that did, until
		// the link shows it carries more (see rampingLocked).
		bound := maxIncreaseOverDelivered * float64(max(delivered, e.lastCapacity))
		if e.capacity > 0 || e.fellLocked(now) {
			bound = nearCongestionIncrease * float64(max(delivered, e.lastCapacity))
		}
		grown = min(grown, max(float64(e.target), bound+10_000))
		e.target = max(e.target, int(grown))
	}
	e.applyProbeLocked(now)
	e.target = min(max(e.target, minBitrate), maxBitrate)
	e.lastSent, e.lastQueue, e.lastLoss = sent, queue, loss
	if now.Sub(e.lastTrace) >= time.Second {
		e.lastTrace = now
		e.log.Debug("bwe", "usage", usage, "state", state, "delay", delayTarget, "gcc", e.gcc.GetTargetBitrate(),
			"loss", loss, "queue", queue, "target", e.target, "capacity", e.capacity, "sent", sent, "delivered", delivered)
	}
	changed, target, f := e.target != prev, e.target, e.onChange
	e.mu.Unlock()
	if changed && f != nil {
		f(target)
	}
}

// carriedRate is what the link carries now, as far as the feedback
// shows: the rate our packets arrived at over the last report, measured
// with the receiver's clock, or else what the reports of the last second
// covered. The latter counts by when the reports came: on a path whose
// way back is congested too they come late and in bursts, and it reads
// far below the link.
func carriedRate(delivered, arriving int) int {
	if arriving > 0 {
		return arriving
	}
	return delivered
}

func (e *estimator) noteCapacityLocked(carried int, now time.Time) {
	e.capacity, e.lastCapacity, e.congestedAt = carried, carried, now
}

// rampingLocked: far below the last congested rate, or none is known, or
// the link has carried well beyond it since (it is unknown again). A
// congested rate is forgotten after capacityMemory without congestion:
// the ramp then goes quickly back to it, and beyond it only at GCC's pace
// until the link shows it carries more.
//
// After the link fell (fellLocked), recovery probes find it when it
// comes back: the ramp goes quickly up to the rate the link last carried
// and no further, and nothing is forgotten. Ramping past it on a guess
// queued a 150 kbit/s link every few seconds to twice its rate.
func (e *estimator) rampingLocked(now time.Time, delivered int) bool {
	// Delivered, not sent: a burst sent into a queue says nothing of the
	// link, what the feedback reports arrived does.
	outgrew := e.lastCapacity > 0 && delivered > int(outgrown*float64(e.lastCapacity))
	if e.fellLocked(now) {
		if outgrew {
			// Probes find a link that has come back (applyProbeLocked);
			// what arrived only shows it carries at least that.
			e.lastCapacity = delivered
		}
		return e.lastCapacity == 0 || e.target < e.lastCapacity
	}
	if outgrew {
		e.capacity, e.lastCapacity = 0, 0
	}
	if e.capacity > 0 && now.Sub(e.congestedAt) > capacityMemory {
		e.capacity = 0
	}
	if e.capacity == 0 {
		return e.lastCapacity == 0 || e.target < e.lastCapacity
	}
	return float64(e.target) < nearCapacity*float64(e.capacity)
}

// fellLocked: recovering from a fall to under fellShare of the estimate
// before it. That is the link's fall: the cut after a probe's overshoot
// (a probe offers twice the estimate) is to about half, and on a link
// the call fills, ramping up to its rate at once queues it.
func (e *estimator) fellLocked(now time.Time) bool {
	return e.recoveringLocked(now) && float64(e.target) < fellShare*float64(e.recoverTo)
}

// GetTargetBitrate is the estimate in bits/s.
func (e *estimator) GetTargetBitrate() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.target
}

// loss is the share of our packets the peer's latest feedback reported
// lost, 0–1.
func (e *estimator) loss() float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastLoss
}

// OnTargetBitrateChange sets f, called on the RTCP goroutine with every new
// target; f must not block.
func (e *estimator) OnTargetBitrateChange(f func(int)) {
	e.mu.Lock()
	e.onChange = f
	e.mu.Unlock()
}

func (e *estimator) GetStats() map[string]any {
	st := e.gcc.GetStats()
	e.mu.Lock()
	st["target"], st["congestions"] = e.target, e.congestions
	e.mu.Unlock()
	return st
}

// watchFeedback backs off while the peer's feedback is missing or stale:
// a link so congested that the reports back are stuck in it too gives GCC
// nothing to decrease on. When no feedback came for feedbackTimeout, or
// the oldest packet in flight has gone unreported for longer than a round
// trip of the path and a feedback interval could explain (a queue is
// building), the estimate halves, again every feedbackTimeout/2 while it
// lasts.
func (e *estimator) watchFeedback(baseRTT func() time.Duration) {
	defer e.wg.Done()
	tick := time.NewTicker(feedbackTimeout / 8)
	defer tick.Stop()
	for {
		select {
		case <-e.done:
			return
		case now := <-tick.C:
			e.checkFeedback(now, baseRTT())
		}
	}
}

func (e *estimator) checkFeedback(now time.Time, baseRTT time.Duration) {
	sent := e.sent()
	stale := e.flying.oldest(now)
	acked := e.flying.ackedRate(now)
	_, arriving := e.flying.queued()
	e.mu.Lock()
	silent := !e.lastFeedback.IsZero() && now.Sub(e.lastFeedback) >= max(feedbackTimeout, 2*baseRTT)
	queued := stale > max(3*baseRTT+feedbackTimeout/2, feedbackTimeout/2+100*time.Millisecond)
	if e.fixed || e.lastFeedback.IsZero() || sent == 0 || !silent && !queued || now.Sub(e.lastBackoff) < feedbackTimeout/2 {
		e.mu.Unlock()
		return
	}
	e.lastBackoff = now
	prev := e.target
	e.noteCutLocked(prev, now)
	// What the link delivered lately is its capacity, as far as is known:
	// the feedback stuck in a queue back says little of the way out.
	carried := max(acked, arriving)
	e.target = max(min(e.target/2, int(0.85*float64(carried))), minBitrate)
	e.noteCapacityLocked(max(carried, minBitrate), now)
	e.congestions++
	target, f, since := e.target, e.onChange, now.Sub(e.lastFeedback)
	e.mu.Unlock()
	e.log.Debug("feedback missing or stale: backing off", "since", since, "unreported", stale, "baseRTT", baseRTT,
		"previous", prev, "target", target)
	if f != nil && target != prev {
		f(target)
	}
}

// Close stops the estimator.
func (e *estimator) Close() error {
	e.closeOnce.Do(func() { close(e.done) })
	e.wg.Wait()
	return e.gcc.Close()
}
