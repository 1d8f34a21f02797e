package gui

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"duet/call"
	"duet/call/phone"
	"duet/call/proto"
	"duet/devices"
)

// connState is where the signaling connection stands.
type connState int

const (
	connSignedOut    connState = iota
	connConnecting             // first sign-in in progress
	connOnline                 // signed in
	connReconnecting           // lost; redialing with backoff
)

func (s connState) String() string {
	switch s {
	case connSignedOut:
		return "signed out"
	case connConnecting:
		return "connecting"
	case connOnline:
		return "online"
	case connReconnecting:
		return "reconnecting"
	}
	return fmt.Sprintf("unknown(%d)", int(s))
}

// connection is the signed-in session; owned by the UI thread.
type connection struct {
	state   connState
	epoch   int // bumped for every client; events and results of older ones are dropped
	cfg     call.Config
	form    signInForm
	ph      *phone.Phone
	attempt int                // reconnect attempts so far
	stop    context.CancelFunc // ends the dial or reconnect loop in progress
}

func (c *connection) stopDialing() {
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
}

// dialTimeout bounds one sign-in attempt.
const dialTimeout = 10 * time.Second

// backoff is the pause before reconnect attempt n (1-based): 0.5 s doubling
// to at most 15 s. A lost server is not hammered, a brief outage heals fast.
func backoff(n int) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < n && d < 15*time.Second; i++ {
		d *= 2
	}
	return min(d, 15*time.Second)
}

// jitter spreads d by ±20 % so that clients a server dropped together do
// not come back together.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

// signIn starts signing in with the form's details (button callback).
func (u *ui) signIn(f signInForm) {
	if u.conn.state == connConnecting {
		return
	}
	f, err := f.normalize()
	if err != nil {
		u.signin.showError(err.Error())
		return
	}
	u.signin.setBusy(true)
	u.conn.stopDialing()
	u.conn.epoch++
	epoch := u.conn.epoch
	u.conn.state = connConnecting
	u.conn.form = f
	u.conn.cfg = call.Config{ServerURL: f.Server, RootCAs: u.cfg.RootCAs, Account: f.Account, Token: f.Token,
		ClientType: proto.ClientDesktop, DeviceID: deviceID(u.prefs, u.cfg), Logger: u.log,
		NoAnswerTimeout: u.noAnswerTimeout}
	cfg := u.conn.cfg
	ctx, cancel := context.WithCancel(u.ctx)
	u.conn.stop = cancel
	u.goBG(func(context.Context) {
		dctx, dcancel := context.WithTimeout(ctx, dialTimeout)
		c, err := call.Dial(dctx, cfg)
		dcancel()
		closeClient := func() {
			if c != nil {
				c.Close()
			}
		}
		u.postOr(func() {
			if epoch != u.conn.epoch || u.conn.state != connConnecting {
				if c != nil {
					u.goBG(func(context.Context) { c.Close() })
				}
				return
			}
			if err != nil {
				u.log.Info("sign-in failed", "server", cfg.ServerURL, "account", cfg.Account, "err", err)
				u.conn.state = connSignedOut
				u.signin.showError(signInError(cfg.ServerURL, err))
				return
			}
			saveSignIn(u.prefs, f)
			u.connected(c)
		}, closeClient)
	})
}

// connected takes over a freshly dialed client: first sign-in or reconnect.
func (u *ui) connected(c *call.Client) {
	reconnect := u.conn.state == connReconnecting
	u.conn.stopDialing()
	u.conn.state, u.conn.attempt = connOnline, 0
	u.conn.epoch++
	epoch := u.conn.epoch
	ph := phone.New(phone.Config{Client: c, OpenCapture: u.openCapture, Playback: true,
		SpeakerID: u.settings.get().SpeakerID, LoopbackOnly: u.cfg.LoopbackOnly, LoopbackOnlyFunc: u.loopbackOnly, Logger: u.log,
		RelayOnly: u.settings.get().AlwaysRelay})
	u.conn.ph = ph
	u.goBG(func(ctx context.Context) { u.funnel(ctx, epoch, ph.Events()) })

	u.signin.setBusy(false)
	u.main.setStatus(connOnline, c.Account(), "")
	u.syncHosting()
	u.contacts.setSelf(c.Account())
	u.history.setSelf(c.Account())
	if u.win.Content() != u.main.root && u.call == nil {
		u.win.SetContent(u.main.root)
	}
	u.win.SetTitle(u.title())
	u.loadContacts()
	u.reloadHistory()
	if reconnect {
		u.notice("Reconnected")
		u.resumeCall(c.Current())
	} else if u.cfg.AutoCall != "" {
		u.autoCall(u.cfg.AutoCall, 0)
	}
}

// lost handles the end of the signaling connection: the phone has already
// ended any call media. Reconnect with backoff, unless the user signed out.
func (u *ui) lost(err error) {
	u.log.Warn("connection lost", "err", err)
	old := u.conn.ph
	u.conn.ph = nil
	u.conn.epoch++ // the old phone's remaining events are stale
	if old != nil {
		u.goBG(func(context.Context) { old.Close() })
	}
	u.stopRinging()
	u.closeRingingDialog("")
	if u.call != nil && u.call.phase >= phaseConnecting {
		// The server keeps an answered call alive for a grace period; the
		// call screen stays and is resumed (or ended) after reconnecting.
		u.call.setReconnecting(true)
		u.refreshCall()
	}
	u.conn.state = connReconnecting
	u.conn.attempt = 0
	ctx, cancel := context.WithCancel(u.ctx)
	u.conn.stop = cancel
	u.redial(ctx, u.conn.epoch)
}

// redial schedules the next reconnect attempt.
func (u *ui) redial(ctx context.Context, epoch int) {
	u.conn.attempt++
	wait := jitter(backoff(u.conn.attempt))
	u.main.setStatus(connReconnecting, u.conn.cfg.Account,
		fmt.Sprintf("Connection lost — reconnecting (attempt %d, in %.0fs)…", u.conn.attempt, wait.Seconds()))
	cfg := u.conn.cfg
	u.goBG(func(context.Context) {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		dctx, cancel := context.WithTimeout(ctx, dialTimeout)
		c, err := call.Dial(dctx, cfg)
		cancel()
		closeClient := func() {
			if c != nil {
				c.Close()
			}
		}
		u.postOr(func() {
			if epoch != u.conn.epoch || u.conn.state != connReconnecting {
				if c != nil {
					u.goBG(func(context.Context) { c.Close() })
				}
				return
			}
			switch {
			case err == nil:
				u.connected(c)
			case errors.Is(err, call.ErrUnauthorized):
				u.signOut()
				u.signin.showError(signInError(cfg.ServerURL, err))
			case ctx.Err() != nil:
			default:
				u.log.Info("reconnect failed", "attempt", u.conn.attempt, "err", err)
				u.redial(ctx, epoch)
			}
		}, closeClient)
	})
}

// resumeCall continues, after a reconnect, the call the server kept for this
// device. A call still ringing at the callee just goes on. The media of an
// answered call died with the connection; a phone that can rejoin the room
// does so, otherwise the call is ended cleanly rather than left silent.
func (u *ui) resumeCall(cur call.CallInfo) {
	ac := u.call
	if ac != nil {
		ac.setReconnecting(false)
	}
	switch {
	case cur.Phase == call.PhaseIdle:
		if ac != nil && ac.phase >= phaseRinging {
			u.endCall("The call ended while the connection was down")
		}
	case cur.Phase == call.PhaseCalling:
		if ac == nil || ac.cid != cur.CID {
			u.endCall("")
			u.showCall(newActiveCall(cur.Peer, cur.Type, true))
			u.call.cid = cur.CID
			u.call.phase = phaseRinging
		}
	case cur.Phase == call.PhaseAnswered:
		if ac == nil || ac.cid != cur.CID {
			u.endCall("")
			ac = newActiveCall(cur.Peer, cur.Type, cur.Outgoing)
			ac.cid = cur.CID
			u.showCall(ac)
		}
		ac.phase = phaseConnecting
		ac.answered = time.Now()
		u.refreshCall()
		if r, ok := any(u.conn.ph).(interface{ Resume(context.Context) error }); ok {
			ph := u.conn.ph
			u.goBG(func(ctx context.Context) {
				ctx, cancel := context.WithTimeout(ctx, joinTimeout)
				defer cancel()
				if err := r.Resume(ctx); err != nil {
					u.log.Warn("resume call", "err", err)
					u.post(func() { u.hangupWith(ph, "The call could not be resumed") })
				}
			})
			return
		}
		u.hangupWith(u.conn.ph, "The connection dropped and the call ended")
	}
}

// signOut drops the session and returns to the sign-in view (button callback).
func (u *ui) signOut() {
	u.conn.stopDialing()
	u.conn.epoch++
	u.conn.state = connSignedOut
	ph := u.conn.ph
	u.conn.ph = nil
	u.stopRinging()
	u.closeRingingDialog("")
	hadCall := u.call != nil
	u.dropCall()
	if ph != nil {
		u.goBG(func(ctx context.Context) {
			if hadCall {
				hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				ph.Hangup(hctx)
				cancel()
			}
			ph.Close()
		})
	}
	u.signin.setBusy(false)
	u.signin.message.SetText("")
	u.win.SetTitle(u.title())
	u.win.SetContent(u.signin.root)
}

// openCapture opens the devices chosen in Settings for a call; it runs on
// the phone's goroutine when a call's media starts.
func (u *ui) openCapture(ctx context.Context, typ proto.CallType) (*devices.Capture, error) {
	s := u.settings.get()
	w, h := s.Size()
	return devices.Open(ctx, devices.CaptureConfig{CameraID: s.CameraID, MicrophoneID: s.MicrophoneID,
		Width: w, Height: h, Synthetic: s.Synthetic, Video: typ == proto.CallTypeVideo, Audio: true,
		Logger: u.log})
}

// joinTimeout bounds resuming a call's media.
const joinTimeout = 15 * time.Second

func (u *ui) title() string {
	t := "Duet"
	if u.conn.state != connSignedOut && u.conn.cfg.Account != "" {
		t += " — " + u.conn.cfg.Account
	}
	return t
}
