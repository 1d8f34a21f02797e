package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// callShortcut is one of the call's keyboard shortcuts: Ctrl+Shift and a
// letter, as Signal Desktop has them, so they reach the app from any
// widget without clashing with text fields' own keys.
type callShortcut struct {
	key  fyne.KeyName
	what string
	run  func(u *ui)
}

var callShortcuts = []callShortcut{
	{fyne.KeyA, i18nKey("Answer an incoming call (with video when it is a video call)"), func(u *ui) {
		if u.ring != nil && !u.ring.closing {
			u.accept(u.ring.typ)
		}
	}},
	{fyne.KeyE, i18nKey("Hang up, or decline an incoming call"), func(u *ui) {
		switch {
		case u.ring != nil && !u.ring.closing:
			u.reject()
		case u.call != nil:
			u.hangupTapped()
		}
	}},
	{fyne.KeyM, i18nKey("Mute or unmute the microphone"), (*ui).toggleMute},
	{fyne.KeyV, i18nKey("Turn the camera off or on"), (*ui).toggleCamera},
	{fyne.KeyD, i18nKey("Copy diagnostics for a bug report"), (*ui).copyDiagnostics},
}

// helpShortcut shows the list of shortcuts: Ctrl+/, as in Gmail and Slack.
var helpShortcut = &desktop.CustomShortcut{KeyName: fyne.KeySlash, Modifier: fyne.KeyModifierShortcutDefault}

func ctrlShift(key fyne.KeyName) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
}

// addShortcuts puts the shortcuts on the window: they work on every screen,
// with the ringing dialog open too.
func (u *ui) addShortcuts() {
	for _, s := range callShortcuts {
		s := s
		u.win.Canvas().AddShortcut(ctrlShift(s.key), func(fyne.Shortcut) { s.run(u) })
	}
	u.win.Canvas().AddShortcut(helpShortcut, func(fyne.Shortcut) { u.showShortcuts() })
}

// shortcutsList is the help view's table: each key and what it does.
func shortcutsList() *fyne.Container {
	grid := container.NewGridWithColumns(2)
	for _, s := range callShortcuts {
		grid.Add(widget.NewLabelWithStyle(ctrlShift(s.key).ShortcutName(), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}))
		grid.Add(widget.NewLabel(lang.L(s.what)))
	}
	grid.Add(widget.NewLabelWithStyle(helpShortcut.ShortcutName(), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}))
	grid.Add(widget.NewLabel(lang.L("Show this list")))
	return grid
}

// showShortcuts opens the help view. UI thread.
func (u *ui) showShortcuts() {
	if u.shortcutsHelp != nil {
		return
	}
	d := dialog.NewCustom(lang.L("Keyboard shortcuts"), lang.L("Close"), shortcutsList(), u.win)

	d.SetOnClosed(func() { u.shortcutsHelp = nil })
	u.shortcutsHelp = d
	d.Show()
}
