package media

import (
	"fmt"
	"time"
)

// Quality is how a call is going, at a glance: what the call screen's
// signal bars show. The zero value is QualityUnknown: no verdict yet, or
// the media is not connected (the screen then says "Connecting…").
type Quality int

const (
	QualityUnknown Quality = iota
	QualityGood
	QualityFair
	QualityPoor
)

func (q Quality) String() string {
	switch q {
	case QualityUnknown:
		return "unknown"
	case QualityGood:
		return "good"
	case QualityFair:
		return "fair"
	case QualityPoor:
		return "poor"
	}
	return fmt.Sprintf("Quality(%d)", int(q))
}

// QualityReason says whose link a fair or poor call suffers from. The zero
// value, ReasonNone, goes with good and unknown.
type QualityReason int

const (
	ReasonNone QualityReason = iota
	// ReasonLocal: what we send suffers: our estimate is low, the peer
	// reports our packets lost, or the round trip is long.
	ReasonLocal
	// ReasonRemote: what we receive suffers (lost, late, frozen) while
	// our own sending looks fine.
	ReasonRemote
)

func (r QualityReason) String() string {
	switch r {
	case ReasonNone:
		return "none"
	case ReasonLocal:
		return "local"
	case ReasonRemote:
		return "remote"
	}
	return fmt.Sprintf("QualityReason(%d)", int(r))
}

// QualitySample is one second of a call as the classifier sees it.
type QualitySample struct {
	// SentLoss is the share of our packets lost on the way, 0–1, as the
	// peer's transport feedback tells; RecvLoss the share of the peer's
	// packets that did not reach us in the last second.
	SentLoss, RecvLoss float64
	RTT                time.Duration
	Jitter             time.Duration // of the received audio
	// TargetKbps is our bandwidth estimate towards the peer; it counts
	// only while SendingVideo, as audio fits the smallest estimate.
	TargetKbps   float64
	SendingVideo bool
	// ReceivingVideo: the peer's camera is on and its video has begun;
	// only then does Freeze say anything. (The frame rate does not: a
	// webcam in dim light or a busy sender halves it on a fine link, and
	// the freeze detector measures against the rate the video has.)
	ReceivingVideo bool
	Freeze         time.Duration // of the remote video in the last second, a stall going on included
	// ReceivingAudio: the peer's microphone is on; only then does the
	// concealed share say anything (a muted peer sends no audio).
	ReceivingAudio bool
	ConcealedPct   float64 // of the audio played in the last second, 0–100
}

// The thresholds, fair at the first value and poor at the second. They are
// where users notice, after the figures Zoom and Teams flag and ITU-T
// G.114 on delay; a threshold catches what the call's own repair (NACK,
// Opus FEC and concealment, the jitter buffer) no longer hides.
var (
	// Loss: a few percent are repaired unnoticed; from a tenth on audio
	// crackles and video waits for key frames. (Teams flags > 10 %.)
	lossFair, lossPoor = 0.03, 0.10
	// RTT: G.114 finds a one-way delay under 150 ms transparent and
	// above 400 ms unusable for conversation; twice that is a round trip.
	rttFair, rttPoor = 300 * time.Millisecond, 800 * time.Millisecond
	// Jitter: the jitter buffer delays playback by about as much; from
	// 30 ms (Teams' limit) the added delay and its late packets are heard.
	jitterFair, jitterPoor = 30 * time.Millisecond, 75 * time.Millisecond
	// Estimate while sending video: below 350 kbit/s video drops under
	// 360 lines (see ladder), below 150 it is 240 lines at 15 fps or less.
	targetFairKbps, targetPoorKbps = 350.0, 150.0
	// Freeze in the last second: a freeze is at least 150 ms (see
	// freezeDetector); one that short is a hiccup, a third of the second
	// a stutter, over half a picture that stalls.
	freezeFair, freezePoor = 300 * time.Millisecond, 600 * time.Millisecond
	// Concealed audio: a few late packets in a second (a busy CPU does
	// that) go unheard; 8 % is audible clicks, 20 % broken speech.
	concealedFair, concealedPoor = 8.0, 20.0
)

// grade is the level a value reaches against fair and poor thresholds,
// where higher values are worse.
func grade[T float64 | time.Duration](v, fair, poor T) Quality {
	switch {
	case v >= poor:
		return QualityPoor
	case v >= fair:
		return QualityFair
	}
	return QualityGood
}

// gradeLow is grade for values where lower is worse.
func gradeLow(v, fair, poor float64) Quality {
	switch {
	case v < poor:
		return QualityPoor
	case v < fair:
		return QualityFair
	}
	return QualityGood
}

// classify judges one second: the worst signal sets the level, and the
// side whose signals reach it is blamed, ours on a tie (the user can act
// on their own link). The round trip is both ways; it counts as ours, the
// side the user can do something about.
func classify(s QualitySample) (Quality, QualityReason) {
	local := max(grade(s.SentLoss, lossFair, lossPoor), grade(s.RTT, rttFair, rttPoor))
	if s.SendingVideo {
		local = max(local, gradeLow(s.TargetKbps, targetFairKbps, targetPoorKbps))
	}
	remote := max(grade(s.RecvLoss, lossFair, lossPoor), grade(s.Jitter, jitterFair, jitterPoor))
	if s.ReceivingVideo {
		remote = max(remote, grade(s.Freeze, freezeFair, freezePoor))
	}
	if s.ReceivingAudio {
		remote = max(remote, grade(s.ConcealedPct, concealedFair, concealedPoor))
	}
	switch {
	case local == QualityGood && remote == QualityGood:
		return QualityGood, ReasonNone
	case local >= remote:
		return local, ReasonLocal
	}
	return remote, ReasonRemote
}

// Hysteresis: a worse verdict must hold for worsenAfter seconds in a row
// and a better one for improveAfter, so one bad second does not flash the
// bars and a recovering link is trusted only once it has stayed good.
const (
	worsenAfter  = 2
	improveAfter = 5
)

// qualityMeter turns per-second verdicts into the steady one shown. Not
// safe for concurrent use: the session's owner goroutine feeds it.
type qualityMeter struct {
	level  Quality
	reason QualityReason
	// run counts the seconds in a row whose verdict differs from the one
	// shown in the same direction; runLevel and runReason are what the
	// run agrees on: the mildest level of a worse run with the latest
	// reason, the worst second of a better one.
	run       int
	worse     bool
	runLevel  Quality
	runReason QualityReason
}

// reset forgets the verdict: the media is not connected.
func (m *qualityMeter) reset() { *m = qualityMeter{} }

// observe takes one second and returns the verdict to show.
func (m *qualityMeter) observe(s QualitySample) (Quality, QualityReason) {
	q, r := classify(s)
	// From unknown every verdict is worse: the first shows after
	// worsenAfter seconds too, so a rough first second of a call does
	// not show red for the improveAfter seconds it takes to go.
	worse := q > m.level || (q == m.level && q != QualityGood && r != m.reason)
	better := q < m.level
	switch {
	case !worse && !better:
		m.run = 0
	case m.run > 0 && worse == m.worse:
		m.run++
		switch {
		case worse:
			m.runLevel, m.runReason = min(m.runLevel, q), r
		case q >= m.runLevel:
			m.runLevel, m.runReason = q, r
		}
	default:
		m.run, m.worse, m.runLevel, m.runReason = 1, worse, q, r
	}
	if need := improveAfter; m.run > 0 {
		if m.worse {
			need = worsenAfter
		}
		if m.run >= need {
			m.level, m.reason, m.run = m.runLevel, m.runReason, 0
			if m.level == QualityGood {
				m.reason = ReasonNone
			}
		}
	}
	return m.level, m.reason
}
