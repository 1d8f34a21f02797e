package proto

// Reason says why a call or a room membership ended; it travels in
// callRejected, hangup and clientLeave events. Wire form: a string.
type Reason int

// Reasons.
const (
	ReasonUnknown     Reason = iota
	ReasonHangup             // the peer hung up an answered call
	ReasonCancelled          // the caller hung up before an answer
	ReasonRejected           // the callee declined
	ReasonBusy               // the callee was in another call
	ReasonTimeout            // nobody answered in time
	ReasonNetworkLost        // the peer's connection dropped and did not come back
	ReasonOffline            // no device of the callee signed in
)

var reasonNames = textEnum{"", "hangup", "cancelled", "rejected", "busy", "timeout", "networkLost", "offline"}

func (r Reason) String() string { return reasonNames.name(int(r)) }

// MarshalText implements encoding.TextMarshaler.
func (r Reason) MarshalText() ([]byte, error) { return reasonNames.marshal("reason", int(r)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Reason) UnmarshalText(b []byte) error {
	v, err := reasonNames.unmarshal("reason", b)
	*r = Reason(v)
	return err
}

// Status is the call record status a call ending for this reason gets.
func (r Reason) Status() CallStatus {
	switch r {
	case ReasonHangup:
		return StatusCompleted
	case ReasonCancelled:
		return StatusCancelled
	case ReasonRejected:
		return StatusRejected
	case ReasonBusy:
		return StatusBusy
	case ReasonTimeout:
		return StatusTimeout
	case ReasonNetworkLost:
		return StatusNetworkLost
	case ReasonOffline:
		return StatusOffline
	}
	return StatusUnknown
}
