package gui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"duet/devices"
)

// deviceMenuTapped lists the devices in the background, then offers them
// in a menu over the call screen's Devices button (button callback).
func (u *ui) deviceMenuTapped() {
	ac := u.call
	if ac == nil || ac.session == nil {
		return
	}
	u.goBG(func(context.Context) {
		inv, err := u.devs.List()
		u.post(func() {
			if u.call != ac || u.callView == nil {
				return
			}
			u.devicesListed(inv, err) // Settings shows the same, fresh lists
			u.showDeviceMenu(u.deviceMenu(ac, inv))
		})
	})
}

// deviceMenu lists the call's cameras (in a video call that sends
// one), microphones and speakers, the ones in use checked; picking one
// switches the call to it the way Settings does. UI thread.
func (u *ui) deviceMenu(ac *activeCall, inv devices.Inventory) *fyne.Menu {
	v := u.setView
	var items []*fyne.MenuItem
	section := func(title string, ds []devices.Device, inUse string, sel *widget.Select, choice deviceChoice, own bool) {
		if len(items) > 0 {
			items = append(items, fyne.NewMenuItemSeparator())
		}
		head := fyne.NewMenuItem(title, nil)
		head.Disabled = true
		items = append(items, head)
		if len(ds) == 0 {
			none := fyne.NewMenuItem(lang.L("None found"), nil)
			none.Disabled = true
			items = append(items, none)
		}
		for _, d := range ds {
			label := choice.label(d.ID)
			item := fyne.NewMenuItem(label, func() { u.pickCallDevice(sel, label, own) })
			item.Checked = d.ID == inUse
			items = append(items, item)
		}
	}
	capture := ac.session.Capture()
	if capture != nil && capture.VideoTrack() != nil && u.cfg.VideoFile == "" {
		section(lang.L("Camera"), cameraChoices(inv), capture.CameraID(), v.camera, v.cams, true)
	}
	if capture != nil && capture.AudioTrack() != nil && u.cfg.AudioFile == "" {
		section(lang.L("Microphone"), inv.Microphones, capture.MicrophoneID(), v.microphone, v.mics, true)
	}
	section(lang.L("Speaker"), inv.Speakers,
		u.settings.get().SpeakerID, v.speaker, v.speakers, false)
	return fyne.NewMenu("", items...)
}

// showDeviceMenu shows menu just above the Devices button. UI thread.
func (u *ui) showDeviceMenu(menu *fyne.Menu) {
	s := u.callView
	c := u.win.Canvas()
	if s.deviceMenu != nil {
		s.deviceMenu.Hide()
	}
	pm := widget.NewPopUpMenu(menu, c)
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(s.devices)
	pm.ShowAtPosition(fyne.NewPos(at.X, max(0, at.Y-pm.MinSize().Height)))
	s.deviceMenu = pm
}

// pickCallDevice chooses label in Settings' list sel, which saves it and
// moves the call to it (switchDevices). Picking a camera or microphone
// (own) turns the synthetic sources off. UI thread.
func (u *ui) pickCallDevice(sel *widget.Select, label string, own bool) {
	v := u.setView
	v.quiet = true
	if own {
		v.synthetic.SetChecked(false)
	}
	sel.SetSelected(label)
	v.quiet = false
	v.changed()
}
