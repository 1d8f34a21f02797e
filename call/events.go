package call

import "duet/call/proto"

// Event is one of the proto event types (*proto.BeCalling, *proto.HangupEvent,
// …) or one of the client's own below.
type Event = proto.Event

// NoAnswer: the callee did not answer within Config.NoAnswerTimeout; the
// client has hung up (the record will say timeout).
type NoAnswer struct {
	CID string
}

// Disconnected is the last event: the signaling connection is gone.
type Disconnected struct {
	Err error
}

func (NoAnswer) EventType() string     { return "noAnswer" }
func (Disconnected) EventType() string { return "disconnected" }
