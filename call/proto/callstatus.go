package proto

import "fmt"

// CallStatus is how a call ended, as stored in its call record. Wire form:
// the number. 1–5 are the hosted netcall API's statuses; 6 and 7 name the
// failures it folds into others.
type CallStatus int

// Call statuses.
const (
	StatusUnknown     CallStatus = 0
	StatusCompleted   CallStatus = 1 // answered, then hung up by either side
	StatusCancelled   CallStatus = 2 // the caller hung up before an answer
	StatusRejected    CallStatus = 3 // the callee declined
	StatusTimeout     CallStatus = 4 // nobody answered in time
	StatusBusy        CallStatus = 5 // the callee was already in a call
	StatusOffline     CallStatus = 6 // no device of the callee was signed in
	StatusNetworkLost CallStatus = 7 // a party's connection dropped and did not come back in time
)

func (s CallStatus) String() string {
	switch s {
	case StatusCompleted:
		return "completed"
	case StatusCancelled:
		return "cancelled"
	case StatusRejected:
		return "rejected"
	case StatusTimeout:
		return "timeout"
	case StatusBusy:
		return "busy"
	case StatusOffline:
		return "offline"
	case StatusNetworkLost:
		return "networkLost"
	}
	return fmt.Sprintf("unknown(%d)", int(s))
}
