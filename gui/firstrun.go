package gui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"duet/devices"
)

// prefSyntheticNoticed records that the user was told the synthetic
// sources stand in for missing devices: the notice shows once.
const prefSyntheticNoticed = "settings.syntheticNoticed"

// noDevicesNotice tells the user why calls show a test pattern.
const noDevicesNotice = "No camera or microphone found — calls use a test pattern and tone; change it in Settings"

// firstRunNoticeFor is how long noDevicesNotice stays: longer than other
// notices, the user has just opened the app and is finding their way.
const firstRunNoticeFor = 15 * time.Second

// savedBool reads a boolean preference and reports whether one was saved.
// Fyne's preferences have no "contains": a saved value is the one that does
// not change with the fallback.
func savedBool(p fyne.Preferences, key string) (value, ok bool) {
	t, f := p.BoolWithFallback(key, true), p.BoolWithFallback(key, false)
	if t != f {
		return false, false
	}
	return t, true
}

// discoverDevices looks for a camera and a microphone at start when the
// user never chose between them and the synthetic sources: on a machine
// with neither, the synthetic sources are on by default, so that a first
// call (the Echo test) shows the whole pipeline working. A choice saved in
// the preferences, or --synthetic, is left alone. UI thread.
func (u *ui) discoverDevices() {
	if u.cfg.Synthetic {
		return
	}
	if _, saved := savedBool(u.prefs, prefSynthetic); saved {
		return
	}
	u.goBG(func(context.Context) {
		inv, err := u.devs.List()
		u.post(func() { u.firstRunDevices(inv, err) })
	})
}

// firstRunDevices applies what discoverDevices found. UI thread.
func (u *ui) firstRunDevices(inv devices.Inventory, err error) {
	if _, saved := savedBool(u.prefs, prefSynthetic); saved {
		return // the user chose while the devices were listed
	}
	if len(inv.Cameras) > 0 || len(inv.Microphones) > 0 {
		u.log.Info("devices found", "cameras", len(inv.Cameras), "microphones", len(inv.Microphones))
		u.devicesListed(inv, err)
		return
	}
	u.log.Info("no camera or microphone; using the synthetic sources until a choice is made in Settings")
	u.autoSynthetic = true
	s := u.settings.get()
	s.Synthetic = true
	u.settings.set(s)
	u.setView.s.Synthetic = true
	u.devicesListed(inv, err)
	if noticed, _ := savedBool(u.prefs, prefSyntheticNoticed); noticed {
		return
	}
	u.prefs.SetBool(prefSyntheticNoticed, true)
	u.firstRunNotice(lang.L(noDevicesNotice))
}

// firstRunNotice shows msg on the main view now, or once signed in if the
// sign-in form is still up. UI thread.
func (u *ui) firstRunNotice(msg string) {
	if u.win.Content() != u.main.root {
		u.pendingNotice = msg
		return
	}
	u.noticeFor(msg, firstRunNoticeFor)
}

// showPendingNotice shows a notice kept for the main view. UI thread.
func (u *ui) showPendingNotice() {
	if msg := u.pendingNotice; msg != "" {
		u.pendingNotice = ""
		u.noticeFor(msg, firstRunNoticeFor)
	}
}
