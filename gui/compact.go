package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
)

// compactSize is the window in compact mode: room for the peer's picture
// and the two controls that matter, so the call can sit in a corner of the
// screen while the user works in other windows.
var compactSize = fyne.NewSize(360, 270)

const (
	compactLabel = "Compact"
	expandLabel  = "Expand"
)

// setCompact shows the call screen whole or in its compact form: the
// peer's picture (or avatar), mute, hang up and the way back. UI thread.
func (s *callScreen) setCompact(on bool) bool {
	changed := false
	for _, o := range []fyne.CanvasObject{s.camera, s.devices, s.record, s.statsBtn, s.timer} {
		changed = setVisible(o, !on) || changed
	}
	if on {
		setButton(s.compact, lang.L(expandLabel), theme.ViewFullScreenIcon())
	} else {
		setButton(s.compact, lang.L(compactLabel), theme.ViewRestoreIcon())

	}
	return changed
}

// toggleCompact shrinks the window to the compact call and back to the
// size it had. UI thread.
func (u *ui) toggleCompact() {
	ac := u.call
	if ac == nil {
		return
	}
	ac.compact = !ac.compact
	if ac.compact {
		u.fullSize = u.win.Canvas().Size()
		u.win.Resize(compactSize)
	} else {
		u.leaveCompact()
	}
	u.refreshCall()
}

// leaveCompact gives the window its size back; also when the call ends.
func (u *ui) leaveCompact() {
	if !u.fullSize.IsZero() {
		u.win.Resize(u.fullSize)
		u.fullSize = fyne.Size{}
	}
}
