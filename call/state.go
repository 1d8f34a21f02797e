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
	// abandoned is a call the application hung up while the connection
	// was down; the server learns of it after reconnecting.
	abandoned string
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
		if t.incoming != nil && t.incoming.CID == e.CID {
			return false // rung again after a reconnect: nothing new
		}
		if t.incoming == nil {
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

// reconcile brings the state in line with a new sign-in after a lost
// connection. It returns the events the application missed meanwhile, in
// the order it should see them, and a call to hang up on the server
// because the application already ended it.
func (t *tracker) reconcile(res proto.LoginResult, account string, now int64) (missed []Event, abandoned string) {
	active := res.ActiveCall
	if active != nil && active.CID == t.abandoned {
		abandoned, active = t.abandoned, nil
	}
	t.abandoned = ""
	if in := t.incoming; in != nil && !ringingHere(res.Ringing, in.CID) {
		missed = append(missed, &proto.HangupEvent{Timetag: now, CID: in.CID, Account: in.Peer, Reason: proto.ReasonNetworkLost})
		t.incoming = nil
	}
	cur := t.current
	switch {
	case cur == nil && active == nil:
	case cur == nil:
		// The server holds a call this application does not know, which it
		// gave up locally (a no-answer timeout that could not reach the server).
		abandoned = active.CID
	case active == nil || active.CID != cur.CID:
		missed = append(missed, &proto.HangupEvent{Timetag: now, CID: cur.CID, Account: cur.Peer, Reason: proto.ReasonNetworkLost})
		t.clearCurrent()
		if active != nil {
			abandoned = active.CID
		}
	case cur.Phase == PhaseCalling && active.Answered:
		cur.Phase = PhaseAnswered
		t.stopTimer()
		missed = append(missed, &proto.CallAccepted{CID: cur.CID, Type: cur.Type, Timetag: now})
	}
	return missed, abandoned
}

func ringingHere(ringing []proto.BeCalling, cid string) bool {
	for _, r := range ringing {
		if r.CID == cid {
			return true
		}
	}
	return false
}
