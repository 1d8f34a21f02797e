package gui

import (
	"context"
	"fmt"
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
	connReconnecting           // lost; the client redials by itself, calls go on
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

// connection is the signed-in session; owned by the UI thread. One client
// (and phone) serves it from sign-in to sign-out: the client reconnects by
// itself, so a lost connection keeps the call and its media.
type connection struct {
	state connState
	epoch int // bumped for every client; events and results of older ones are dropped
	cfg   call.Config
	form  signInForm
	ph    *phone.Phone
	stop  context.CancelFunc // ends the sign-in in progress
	// decline is a ringing call the user declined while the connection was
	// down; it is declined on the server once the connection is back.
	decline string
	// lostNotice is the main view's notice count when the connection was
	// lost: a notice after it told of something missed meanwhile.
	lostNotice int
}

func (c *connection) stopDialing() {
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
}

// dialTimeout bounds signing in. Only the first sign-in is the app's to
// retry (the user taps Sign in again); afterwards the client reconnects.
const dialTimeout = 10 * time.Second

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
		NoAnswerTimeout: u.noAnswerTimeout, Reconnect: true}
	if u.tuneClient != nil {
		u.tuneClient(&u.conn.cfg)
	}
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

// connected takes over the freshly signed-in client. It lives until sign
// out: it reconnects by itself when the connection drops (see reconnect.go).
func (u *ui) connected(c *call.Client) {
	u.conn.stopDialing()
	u.conn.state = connOnline
	u.conn.epoch++
	epoch := u.conn.epoch
	ph := phone.New(phone.Config{Client: c, OpenCapture: u.openCapture, Playback: true,
		SpeakerID: u.settings.get().SpeakerID, LoopbackOnly: u.cfg.LoopbackOnly, LoopbackOnlyFunc: u.loopbackOnly, Logger: u.log,
		RelayOnly: u.settings.get().AlwaysRelay, Net: u.mediaNet})
	u.conn.ph = ph
	u.goBG(func(ctx context.Context) { u.funnel(ctx, epoch, ph.Events()) })

	u.signin.setBusy(false)
	u.main.setStatus(connOnline, c.Account(), "")
	u.syncHosting()
	u.contacts.setSelf(c.Account())
	u.history.setSelf(c.Account())
	u.win.SetContent(u.main.root)
	u.win.SetTitle(u.title())
	u.showPendingNotice()
	u.loadContacts()
	u.reloadHistory()
	if u.cfg.AutoCall != "" {
		u.autoCall(u.cfg.AutoCall, 0)
	}
}

// signOut drops the session and returns to the sign-in view (button callback).
func (u *ui) signOut() {
	u.conn.stopDialing()
	u.conn.epoch++
	u.conn.state = connSignedOut
	u.conn.decline = ""
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
	if d := u.devCheck.Swap(nil); d != nil {
		// The call takes the devices back from a test in Settings.
		d.stop()
		u.post(u.deviceCheckEnded)
	}
	s := u.settings.get()
	w, h := s.Size()
	processing := s.processing()
	if u.cfg.AudioFile != "" {
		processing = devices.AudioProcessing{} // a recording is sent as it is
	}
	c, err := u.devs.Open(ctx, devices.CaptureConfig{CameraID: s.CameraID, MicrophoneID: s.MicrophoneID,
		VideoFile: u.cfg.VideoFile, AudioFile: u.cfg.AudioFile,
		Width: w, Height: h, Synthetic: s.Synthetic, Video: typ == proto.CallTypeVideo, Audio: true,
		Processing: processing, Logger: u.log})
	u.captured.set(err) // the phone only logs it: the call screen says it
	return c, err
}

func (u *ui) title() string {
	t := "Duet"
	if u.conn.state != connSignedOut && u.conn.cfg.Account != "" {
		t += " — " + u.conn.cfg.Account
	}
	return t
}
