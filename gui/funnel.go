package gui

import (
	"context"

	"fyne.io/fyne/v2/lang"

	"duet/call"
	"duet/call/media"
	"duet/call/phone"
	"duet/call/proto"
)

// funnel is the one goroutine that carries a signed-in session's events to
// the UI thread: every signaling event and, while a call has media, that
// session's media events. It only forwards; the UI thread decides. A lost
// connection does not end it (the client reconnects and its events go on);
// it ends when the phone's event channel closes (after *call.Disconnected,
// or when the phone is closed) or at shutdown.
func (u *ui) funnel(ctx context.Context, epoch int, events <-chan call.Event) {
	var mediaEvents <-chan media.Event
	var mediaCID string
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			switch e := ev.(type) {
			case *phone.MediaStarted:
				mediaEvents, mediaCID = e.Session.Events(), e.CID
			case *phone.MediaEnded:
				mediaEvents = nil
			}
			u.post(func() { u.onEvent(epoch, ev) })
		case mev, ok := <-mediaEvents:
			if !ok {
				mediaEvents = nil
				continue
			}
			cid := mediaCID
			u.post(func() { u.onMedia(epoch, cid, mev) })
		case <-ctx.Done():
			return
		}
	}
}

// onEvent applies one signaling or phone event on the UI thread.
func (u *ui) onEvent(epoch int, ev call.Event) {
	if epoch != u.conn.epoch {
		return // from a connection that has since been replaced
	}
	switch e := ev.(type) {
	case *proto.PresenceChanged:
		u.contacts.setPresence(e.Account, e.Presence)
	case *proto.BeCalling:
		u.incoming(e)
	case *proto.CallerAckSync:
		if u.ring != nil && u.ring.cid == e.CID {
			msg := lang.L("Declined on another device")
			if e.Accepted {
				msg = lang.L("Answered on another device")
			}
			u.closeRingingDialog(msg)
		}
	case *proto.CallAccepted:
		u.callAccepted(e)
	case *proto.CallRejected:
		u.callEnded(e.CID, e.Reason)
	case *call.NoAnswer:
		u.callEnded(e.CID, proto.ReasonTimeout)
	case *proto.HangupEvent:
		u.hangupEvent(e)
	case *proto.CallRecordEvent:
		u.history.add(e.CallRecord)
	case *phone.MediaStarted:
		u.mediaStarted(e)
	case *phone.MediaEnded:
		u.mediaEnded(e.CID)
	case *phone.StaleCallEnded:
		u.notice(lang.L("Ended the call with {{.Name}} left open when Duet last stopped", args{"Name": displayName(e.Peer)}))
	case *call.Reconnecting:
		u.reconnecting(e.Err)
	case *call.Reconnected:
		u.reconnected(e)
	case *call.Disconnected:
		u.gaveUp(e.Err)
	}
}
