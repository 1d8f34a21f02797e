package gui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"duet/call/media"
	"duet/devices"
)

// shareState is the call's screen share as the call screen shows it.
// Owned by the UI thread.
type shareState struct {
	on          bool  // this side shares (the session said so)
	busy        bool  // starting or stopping
	peer        bool  // the peer said its video is a screen
	unavailable error // why no screen can be shared here, once checked
}

// peerSharingIndicator is "NAME is sharing their screen", hidden until the
// peer shares.
func peerSharingIndicator(peer string) *fyne.Container {
	return indicator(theme.ComputerIcon(), lang.L("{{.Name}} is sharing their screen",
		args{"Name": displayName(peer)}))
}

// updateSharing shows ac's screen share and reports whether an indicator
// appeared or went. UI thread.
func (s *callScreen) updateSharing(ac *activeCall) bool {
	live := ac.session != nil
	changed := setVisible(s.peerShare, live && ac.share.peer)
	switch {
	case ac.share.on:
		setButton(s.share, lang.L("Stop sharing"), theme.MediaStopIcon())
	case ac.share.unavailable != nil:
		// Tapping it says why.
		setButton(s.share, lang.L("Can't share screen"), theme.ComputerIcon())
	default:
		setButton(s.share, lang.L("Share screen"), theme.ComputerIcon())
	}
	setEnabled(s.share, live && !ac.share.busy && ac.session.Capture() != nil)
	return changed
}

// checkScreens finds out, off the UI thread, whether a screen can be
// shared, so that the button can say it cannot before it is tapped.
func (u *ui) checkScreens(ac *activeCall) {
	u.goBG(func(context.Context) {
		_, err := devices.Screens()
		u.post(func() {
			ac.share.unavailable = err
			if u.call == ac {
				u.refreshCall()
			}
		})
	})
}

// toggleScreenShare shares a screen or stops sharing (button callback).
// The screens are listed off the UI thread; with several, the user picks.
func (u *ui) toggleScreenShare() {
	ac := u.call
	if ac == nil || ac.session == nil || ac.share.busy {
		return
	}
	s := ac.session
	if ac.share.on {
		ac.share.busy = true
		u.refreshCall()
		s.StopSharing() // ScreenShareChanged follows
		return
	}
	ac.share.busy = true
	u.refreshCall()
	u.goBG(func(context.Context) {
		screens, err := devices.Screens()
		u.post(func() {
			if u.call != ac {
				return
			}
			ac.share.unavailable = err
			if err != nil {
				ac.share.busy = false
				u.refreshCall()
				u.shareFailed(err)
				return
			}
			if len(screens) == 1 {
				s.ShareScreen(screens[0].ID)
				return
			}
			u.pickScreen(ac, screens)
		})
	})
}

// pickScreen asks which of several screens to share. UI thread.
func (u *ui) pickScreen(ac *activeCall, screens []devices.Device) {
	labels := make([]string, len(screens))
	for i, sc := range screens {
		labels[i] = sc.Label
	}
	choice := widget.NewRadioGroup(labels, nil)
	choice.SetSelected(labels[0])
	dialog.ShowCustomConfirm(lang.L("Share which screen?"), lang.L("Share"), lang.L("Cancel"), choice,
		func(ok bool) {
			if u.call != ac || ac.session == nil {
				return
			}
			if !ok {
				ac.share.busy = false
				u.refreshCall()
				return
			}
			for _, sc := range screens {
				if sc.Label == choice.Selected {
					ac.session.ShareScreen(sc.ID)
				}
			}
		}, u.win)
}

// screenShareChanged applies the session's word on the share. UI thread.
func (u *ui) screenShareChanged(ac *activeCall, e media.ScreenShareChanged) {
	ac.share.busy = false
	if e.Err != nil {
		u.shareFailed(e.Err)
		return
	}
	ac.share.on = e.On
}

// shareFailed says why the screen cannot be shared. UI thread.
func (u *ui) shareFailed(err error) {
	msg := err.Error()
	if errors.Is(err, devices.ErrNoScreen) {
		msg = lang.L("Screen sharing is not possible here: {{.Reason}}", args{"Reason": err.Error()})
	}
	dialog.ShowInformation(lang.L("Cannot share the screen"), msg, u.win)
}
