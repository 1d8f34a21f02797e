package call

import (
	"fmt"
	"time"

	"duet/call/proto"
)

// Phase is where the client's call stands.
type Phase int

// Phases.
const (
	PhaseIdle     Phase = iota
	PhaseRinging        // an incoming call rings here
	PhaseCalling        // our outgoing call rings at the callee
	PhaseAnswered       // answered; media may be set up
)

func (p Phase) String() string {
	switch p {
	case PhaseIdle:
		return "idle"
	case PhaseRinging:
		return "ringing"
	case PhaseCalling:
		return "calling"
	case PhaseAnswered:
		return "answered"
	}
	return fmt.Sprintf("unknown(%d)", int(p))
}

// CallInfo describes the client's current call.
type CallInfo struct {
	CID      string
	Peer     string
	Type     proto.CallType
	Outgoing bool
	Phase    Phase
	Custom   string
	UID      uint64 // our room uid once StartRTC succeeded
}

// tracker follows the current call through events and replies so Hangup and
// StartRTC need no cid, and events of other calls are dropped as the netcall
// API asks. It is guarded by Client.mu.
type tracker struct {
	current  *CallInfo // outgoing or answered call
	incoming *CallInfo // incoming call ringing here, not yet answered
	noAnswer *time.Timer
}

func (t *tracker) snapshot() CallInfo {
	switch {
	case t.current != nil:
		return *t.current
	case t.incoming != nil:
		return *t.incoming
	}
	return CallInfo{}
}

func (t *tracker) isCurrent(cid string) bool { return t.current != nil && t.current.CID == cid }

func (t *tracker) clearCurrent() {
	t.current = nil
	t.stopTimer()
}

func (t *tracker) stopTimer() {
	if t.noAnswer != nil {
		t.noAnswer.Stop()
		t.noAnswer = nil
	}
}

// apply updates the state for an event and reports whether the application
// should see it.
func (t *tracker) apply(ev Event) bool {
	switch e := ev.(type) {
	case *proto.BeCalling:
		if t.incoming == nil || t.incoming.CID == e.CID {
			t.incoming = &CallInfo{CID: e.CID, Peer: e.Caller, Type: e.Type, Phase: PhaseRinging, Custom: e.Custom}
		}
		return true
	case *proto.CallAccepted:
		if !t.isCurrent(e.CID) {
			return false
		}
		t.current.Phase = PhaseAnswered
		t.stopTimer()
		return true
	case *proto.CallRejected:
		if !t.isCurrent(e.CID) {
			return false
		}
		t.clearCurrent()
		return true
	case *proto.CallerAckSync:
		if t.incoming == nil || t.incoming.CID != e.CID {
			return false
		}
		t.incoming = nil
		return true
	case *proto.HangupEvent:
		switch {
		case t.isCurrent(e.CID):
			t.clearCurrent()
		case t.incoming != nil && t.incoming.CID == e.CID:
			t.incoming = nil
		default:
			return false
		}
		return true
	case *proto.SyncDone:
		return t.isCurrent(e.CID)
	case *proto.ClientJoin:
		return t.isCurrent(e.CID)
	case *proto.ClientLeave:
		return t.isCurrent(e.CID)
	case *proto.RelayEvent:
		return t.isCurrent(e.CID)
	}
	return true
}

// resume restores the call the server says this device is still in.
func (t *tracker) resume(a *proto.ActiveCall, account string) {
	info := &CallInfo{CID: a.CID, Type: a.Type, Outgoing: a.Caller == account, Phase: PhaseAnswered, UID: a.UID}
	info.Peer = a.Caller
	if info.Outgoing {
		info.Peer = a.Callee
	}
	if !a.Answered {
		info.Phase = PhaseCalling
	}
	t.current = info
}
