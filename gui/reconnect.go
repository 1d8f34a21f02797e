package gui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2/lang"

	"duet/call"
)

// reconnectingText is what the header, the call screen and a ringing
// dialog say while the client redials.
const reconnectingText = "Connection lost — reconnecting…"

// reconnectedFor is how long the call screen says "Reconnected".
const reconnectedFor = 2 * time.Second

// reconnecting: the signaling connection dropped and the client redials by
// itself. Everything stays as it is: the call's media is peer to peer and
// keeps flowing, its controls are local (hanging up works offline), and a
// ringing call keeps ringing; the client reports after the reconnect
// whatever ended meanwhile. UI thread.
func (u *ui) reconnecting(err error) {
	u.log.Warn("connection lost; reconnecting", "err", err)
	u.conn.state = connReconnecting
	u.conn.lostNotice = u.main.noticeN
	u.main.setStatus(connReconnecting, u.conn.cfg.Account, lang.L(reconnectingText))
	if ac := u.call; ac != nil {
		ac.setReconnecting(true)
		u.refreshCall()
	}
	if u.ring != nil {
		u.ring.setReconnecting(true)
	}
}

// reconnected: signed in again as the same device, holding the same call.
// The events the app missed came just before this one. UI thread.
func (u *ui) reconnected(e *call.Reconnected) {
	u.log.Info("reconnected", "attempts", e.Attempts, "down", e.Downtime.Round(time.Millisecond),
		"activeCall", e.ActiveCall != nil)
	u.conn.state = connOnline
	u.main.setStatus(connOnline, u.conn.cfg.Account, "")
	if ac := u.call; ac != nil {
		ac.setReconnecting(false)
		ac.reconnectedAt = time.Now()
		u.refreshCall()
		u.after(reconnectedFor, func() {
			if u.call == ac {
				u.refreshCall()
			}
		})
	}
	if u.ring != nil {
		u.ring.setReconnecting(false)
	}
	u.declineMissed()
	msg := lang.L("Reconnected")
	if v := u.main; v.noticeN != u.conn.lostNotice && v.noticeBg.Visible() {
		msg += " — " + v.notice.Text // what was missed meanwhile stays in view
	}
	u.notice(msg)
	u.loadContacts()
	u.reloadHistory()
}

// declineMissed declines on the server the call the user declined while
// the connection was down, if it still rings.
func (u *ui) declineMissed() {
	cid, ph := u.conn.decline, u.phone()
	u.conn.decline = ""
	if cid == "" || ph == nil {
		return
	}
	if cur := ph.Client().Current(); cur.Phase != call.PhaseRinging || cur.CID != cid {
		return // over already: the caller gave up meanwhile
	}
	u.goBG(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		if err := ph.Reject(ctx, cid); err != nil {
			u.log.Info("decline after reconnect", "cid", cid, "err", err)
		}
	})
}

// replacedText is what the sign-in view says once another instance signed
// in with this device's ID and account and took the connection over.
const replacedText = "Signed in on this device elsewhere"

// gaveUp: the client stopped for good, typically because the server no
// longer accepts the account's token, or because another instance signed
// in as this device (the client does not reconnect then: the two would take
// the device from each other in turn). Back to the sign-in view with why.
// UI thread.
func (u *ui) gaveUp(err error) {
	if errors.Is(err, call.ErrReplaced) {
		u.log.Warn("signed out: another instance signed in as this device", "device", u.conn.cfg.DeviceID, "err", err)
		u.signOut()
		u.signin.showError(lang.L(replacedText) + " — " + lang.L("Duet stopped here. Sign in again to use this window instead."))
		return
	}
	u.log.Warn("signed out: the connection cannot be restored", "err", err)
	server := u.conn.cfg.ServerURL
	u.signOut()
	u.signin.showError(lang.L("Signed out.") + " " + signInError(server, err))

}
