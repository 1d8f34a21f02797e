package proto

import "encoding/json"

// Event types the server pushes.
const (
	TypePresence      = "presence"
	TypeBeCalling     = "beCalling"
	TypeCallAccepted  = "callAccepted"
	TypeCallRejected  = "callRejected"
	TypeCallerAckSync = "callerAckSync"
	TypeSyncDone      = "syncDone"
	TypeClientJoin    = "clientJoin"
	TypeClientLeave   = "clientLeave"
	TypeHangupEvent   = "hangup" // same name as the request, told apart by the missing id
	TypeRelayEvent    = "relay"
	TypeCallRecord    = "callRecord"
)

// Event is implemented by every event's data.
type Event interface {
	EventType() string
}

// PresenceChanged tells every signed-in client that an account's presence changed.
type PresenceChanged struct {
	Account  string   `json:"account"`
	Presence Presence `json:"presence"`
}

// BeCalling is an incoming call, sent to every signed-in device of the callee.
type BeCalling struct {
	CID     string   `json:"cid"`
	Caller  string   `json:"caller"`
	Type    CallType `json:"type"`
	Custom  string   `json:"custom"`
	Timetag int64    `json:"timetag"`
}

// CallAccepted tells the caller the callee answered.
type CallAccepted struct {
	CID     string   `json:"cid"`
	Type    CallType `json:"type"`
	Timetag int64    `json:"timetag"`
}

// CallRejected tells the caller the call will not be answered: Reason is
// "rejected" or "busy".
type CallRejected struct {
	CID     string   `json:"cid"`
	Type    CallType `json:"type"`
	Reason  Reason   `json:"reason"`
	Timetag int64    `json:"timetag"`
}

// CallerAckSync tells the callee's other devices that one device answered or
// rejected the call: stop ringing.
type CallerAckSync struct {
	Timetag        int64      `json:"timetag"`
	CID            string     `json:"cid"`
	Type           CallType   `json:"type"`
	Accepted       bool       `json:"accepted"`
	FromClientType ClientType `json:"fromClientType"`
}

// SyncDone follows a successful startRtc: who was already in the room.
type SyncDone struct {
	CID      string       `json:"cid"`
	Code     int          `json:"code"` // 200 on success
	ErrMsg   string       `json:"errmsg"`
	UserList []RoomMember `json:"userlist"`
}

// RoomMember is one member of a call's room.
type RoomMember struct {
	Account string   `json:"account"`
	UID     uint64   `json:"uid"`
	Mode    CallType `json:"mode"`
}

// ClientJoin tells room members that a peer joined.
type ClientJoin struct {
	CID     string   `json:"cid"`
	Account string   `json:"account"`
	UID     uint64   `json:"uid"`
	Mode    CallType `json:"mode"`
}

// ClientLeave tells room members that a peer left.
type ClientLeave struct {
	CID     string `json:"cid"`
	Account string `json:"account"`
	UID     uint64 `json:"uid"`
	Reason  Reason `json:"reason"`
}

// HangupEvent tells a party that the other side ended the call, or that the
// server did (Account is then ""). Ignore it if CID is not the current call.
type HangupEvent struct {
	Timetag int64  `json:"timetag"`
	CID     string `json:"cid"`
	Account string `json:"account"`
	Reason  Reason `json:"reason"`
}

// RelayEvent is a payload from the other member of the room.
type RelayEvent struct {
	CID     string          `json:"cid"`
	From    string          `json:"from"`
	FromUID uint64          `json:"fromUid"`
	Kind    string          `json:"kind"`
	Payload json.RawMessage `json:"payload"`
}

// CallRecordEvent carries the record of a call that just ended to every
// device of both parties.
type CallRecordEvent struct {
	CallRecord
}

func (PresenceChanged) EventType() string { return TypePresence }
func (BeCalling) EventType() string       { return TypeBeCalling }
func (CallAccepted) EventType() string    { return TypeCallAccepted }
func (CallRejected) EventType() string    { return TypeCallRejected }
func (CallerAckSync) EventType() string   { return TypeCallerAckSync }
func (SyncDone) EventType() string        { return TypeSyncDone }
func (ClientJoin) EventType() string      { return TypeClientJoin }
func (ClientLeave) EventType() string     { return TypeClientLeave }
func (HangupEvent) EventType() string     { return TypeHangupEvent }
func (RelayEvent) EventType() string      { return TypeRelayEvent }
func (CallRecordEvent) EventType() string { return TypeCallRecord }

// DecodeEvent decodes the data of an event envelope. Unlike requests, events
// are decoded leniently about unknown fields so older clients keep working
// with newer servers.
func DecodeEvent(env Envelope) (Event, error) {
	var ev Event
	switch env.Type {
	case TypePresence:
		ev = &PresenceChanged{}
	case TypeBeCalling:
		ev = &BeCalling{}
	case TypeCallAccepted:
		ev = &CallAccepted{}
	case TypeCallRejected:
		ev = &CallRejected{}
	case TypeCallerAckSync:
		ev = &CallerAckSync{}
	case TypeSyncDone:
		ev = &SyncDone{}
	case TypeClientJoin:
		ev = &ClientJoin{}
	case TypeClientLeave:
		ev = &ClientLeave{}
	case TypeHangupEvent:
		ev = &HangupEvent{}
	case TypeRelayEvent:
		ev = &RelayEvent{}
	case TypeCallRecord:
		ev = &CallRecordEvent{}
	default:
		return nil, Errorf(CodeUnknownType, "unknown event type %q", env.Type)
	}
	if len(env.Data) == 0 {
		return nil, Errorf(CodeBadRequest, "event %q has no data", env.Type)
	}
	if err := json.Unmarshal(env.Data, ev); err != nil {
		return nil, Errorf(CodeBadRequest, "malformed %s event: %s", env.Type, describeJSONError(err))
	}
	return ev, nil
}
