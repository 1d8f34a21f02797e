package call

import (
	"time"

	"duet/call/proto"
)

// Event is one of the proto event types (*proto.BeCalling, *proto.HangupEvent,
// …) or one of the client's own below.
type Event = proto.Event

// NoAnswer: the callee did not answer within Config.NoAnswerTimeout; the
// client has hung up (the record will say timeout).
type NoAnswer struct {
	CID string
}

// Disconnected is the last event: the signaling connection is gone. Err
// matches ErrReplaced (errors.Is) when a newer connection of the same
// account and device took over, which no reconnect may undo.
type Disconnected struct {
	Err error
}

// Reconnecting: the connection dropped and the client is redialing
// (Config.Reconnect). Requests fail with ErrReconnecting meanwhile; media
// of an answered call goes on peer to peer.
type Reconnecting struct {
	Err error
}

// Reconnected: signed in again as the same device. ActiveCall is the call
// the server kept for it, if any; a call it did not keep was reported
// before this event as a *proto.HangupEvent with reason networkLost.
type Reconnected struct {
	ActiveCall *proto.ActiveCall
	Attempts   int
	Downtime   time.Duration
}

func (Reconnecting) EventType() string { return "reconnecting" }
func (Reconnected) EventType() string  { return "reconnected" }
func (NoAnswer) EventType() string     { return "noAnswer" }
func (Disconnected) EventType() string { return "disconnected" }
