package jitter

// PullResult says what a Pull filled its buffer with. When a pull spans
// several kinds of audio it reports the one that matters most to a
// listener: Concealed over Recovered over Normal.
type PullResult uint8

const (
	// PullUnknown is the zero value; Pull returns it only for an empty out.
	PullUnknown PullResult = iota
	// PullWaiting is silence while there is nothing to play yet: before
	// the first packet, or while the buffer fills after a reset.
	PullWaiting
	// PullNormal is decoded audio, possibly sped up or slowed down.
	PullNormal
	// PullRecovered is audio with some of it recovered from the next
	// packet's FEC, none concealed.
	PullRecovered
	// PullConcealed is audio with some or all of it synthesised for lost
	// or late packets.
	PullConcealed
	// PullSilent is comfort silence: concealment faded out after a long
	// loss.
	PullSilent
)

func (r PullResult) String() string {
	switch r {
	case PullWaiting:
		return "waiting"
	case PullNormal:
		return "normal"
	case PullRecovered:
		return "recovered"
	case PullConcealed:
		return "concealed"
	case PullSilent:
		return "silent"
	default:
		return "unknown"
	}
}

// and is the result of a pull of which one part was r and the next k.
func (r PullResult) and(k PullResult) PullResult {
	switch {
	case r == PullUnknown || r == PullWaiting || r == k:
		return k
	case k == PullUnknown || k == PullWaiting:
		return r
	case r == PullSilent || k == PullSilent:
		return PullConcealed
	default:
		return max(r, k)
	}
}

// playState is where a Buffer is in its life.
type playState uint8

const (
	stateUnknown playState = iota
	// stateWaiting: filling up before playout (re)starts.
	stateWaiting
	// statePlaying: every pull produces audio, concealed if need be.
	statePlaying
)

func (s playState) String() string {
	switch s {
	case stateWaiting:
		return "waiting"
	case statePlaying:
		return "playing"
	default:
		return "unknown"
	}
}
