package jitter

import "time"

// Stats is a snapshot of a Buffer. Sample counts are at the buffer's
// sample rate; the counters run from New and survive Reset.
type Stats struct {
	// Level is the audio held ahead of the playout point: decoded and not
	// yet pulled, and in packets (gaps between them included).
	Level time.Duration
	// Target is the level the buffer steers toward: one packet plus Jitter,
	// at most the configured MaxDelay.
	Target time.Duration
	// Jitter is the estimated network jitter: the relative arrival delay
	// that 98 % of recent packets stayed within, rounded up to 5 ms.
	Jitter time.Duration
	// Packets is the number of packets held.
	Packets int

	// Played counts samples pulled since playout first started: decoded,
	// recovered and concealed alike.
	Played uint64
	// Concealed counts samples synthesised for lost or late packets,
	// comfort silence included.
	Concealed uint64
	// Recovered counts samples recovered from the next packet's FEC; they
	// are not in Concealed.
	Recovered uint64

	// Late counts packets that arrived after their playout time, dropped.
	Late uint64
	// Duplicates counts packets received more than once, dropped.
	Duplicates uint64
	// Overflow counts packets dropped, oldest first, because MaxPackets
	// were held.
	Overflow uint64
	// Invalid counts packets dropped because they were empty, larger than
	// MaxPayload, failed to decode, or stood alone far from the stream's
	// timestamps.
	Invalid uint64
	// Resets counts restarts of playout: Reset calls, and jumps in
	// timestamp or sequence number (a new stream from the peer).
	Resets uint64

	// Accelerates and Expands count the time-scale operations that steer
	// the level toward the target: shortening and lengthening decoded
	// audio by one stretch.
	Accelerates, Expands uint64
	// AcceleratedSamples and ExpandedSamples are the samples they removed
	// and inserted.
	AcceleratedSamples, ExpandedSamples uint64
}

// ConcealedShare is Concealed / Played, 0 before anything played.
func (s Stats) ConcealedShare() float64 {
	if s.Played == 0 {
		return 0
	}
	return float64(s.Concealed) / float64(s.Played)
}
