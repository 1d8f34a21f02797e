package gui

import (
	"context"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"duet/devices"
)

// relayLabel is the Always relay setting's checkbox.
const relayLabel = "Always relay calls through the server — hides your address from the other side"

// defaultDevice is the choice that follows the system's default device.
const defaultDevice = "System default"

// deviceChoice maps what a Select shows to device IDs.
type deviceChoice struct {
	labels []string
	ids    []string
}

func newDeviceChoice(ds []devices.Device) deviceChoice {
	c := deviceChoice{labels: []string{lang.L(defaultDevice)}, ids: []string{""}}
	seen := map[string]int{}
	for _, d := range ds {
		label := deviceLabel(d)
		if seen[label]++; seen[label] > 1 {
			label += " (" + d.ID + ")" // two devices of one model
		}
		c.labels = append(c.labels, label)
		c.ids = append(c.ids, d.ID)
	}
	return c
}

// deviceLabel is how a device is named: as its driver names it, or, for
// the synthetic cameras, in the app's language.
func deviceLabel(d devices.Device) string {
	switch d.ID {
	case devices.SyntheticSceneCameraID:
		return lang.L("Synthetic scene (detailed)")
	case devices.SyntheticCameraID:
		return lang.L("Synthetic test pattern (colour bars)")
	}
	return d.Label
}

// cameraChoices are the cameras found and, after them, the synthetic ones

// (for QA: a camera-less machine can still send a webcam-like picture).
func cameraChoices(inv devices.Inventory) []devices.Device {
	return append(slices.Clone(inv.Cameras), devices.SyntheticCameras()...)
}

// label is what to show for id; a device that is gone shows as such.
func (c deviceChoice) label(id string) string {
	for i, x := range c.ids {
		if x == id {
			return c.labels[i]
		}
	}
	return lang.L(defaultDevice)
}

func (c deviceChoice) id(label string) string {
	for i, x := range c.labels {
		if x == label {
			return c.ids[i]
		}
	}
	return ""
}

// settingsView is the Settings tab.
type settingsView struct {
	root       fyne.CanvasObject
	s          Settings
	cams, mics deviceChoice
	speakers   deviceChoice
	camera     *widget.Select
	microphone *widget.Select
	speaker    *widget.Select
	resolution *widget.Select
	synthetic  *widget.Check
	relay      *widget.Check
	echo       *widget.Check
	noise      *widget.Check
	gain       *widget.Check
	language   *widget.Select // nil until added (language.go)
	form       *widget.Form

	note     *widget.Label
	body     *fyne.Container // the tab's sections, top to bottom
	actions  *actionsSection // hosting and diagnostics; nil until added
	check    *checkSection   // the device test; nil until added
	onChange func(Settings)
	quiet    bool // true while filling the widgets: no save
}

func newSettingsView(s Settings, version string, onChange func(Settings), onRefresh func()) *settingsView {
	v := &settingsView{s: s, onChange: onChange, note: widget.NewLabel("")}
	changed := func(string) { v.changed() }
	v.camera = widget.NewSelect(nil, changed)
	v.microphone = widget.NewSelect(nil, changed)
	v.speaker = widget.NewSelect(nil, changed)
	v.resolution = widget.NewSelect(resolutions, changed)
	v.synthetic = widget.NewCheck(lang.L("Use synthetic camera and microphone (test pattern and tone, for QA)"), func(bool) { v.changed() })
	v.relay = widget.NewCheck(lang.L(relayLabel), func(bool) { v.changed() })
	v.echo = widget.NewCheck(lang.L("Echo cancellation (the other side does not hear itself from your speaker)"), func(bool) { v.changed() })
	v.noise = widget.NewCheck(lang.L("Noise suppression"), func(bool) { v.changed() })
	v.gain = widget.NewCheck(lang.L("Automatic microphone level"), func(bool) { v.changed() })
	v.note.Wrapping = fyne.TextWrapWord
	v.note.Importance = widget.LowImportance
	refresh := widget.NewButtonWithIcon(lang.L("Look for devices again"), theme.ViewRefreshIcon(), onRefresh)
	v.form = widget.NewForm(
		widget.NewFormItem(lang.L("Camera"), v.camera),
		widget.NewFormItem(lang.L("Microphone"), v.microphone),
		widget.NewFormItem(lang.L("Speaker"), v.speaker),
		widget.NewFormItem(lang.L("Video size"), v.resolution),
		widget.NewFormItem("", v.synthetic),
		widget.NewFormItem(lang.L("Voice"), container.NewVBox(v.echo, v.noise, v.gain)),
		widget.NewFormItem(lang.L("Privacy"), v.relay),
	)
	v.setDevices(devices.Inventory{}, "")
	about := widget.NewLabel(lang.L("Duet {{.Version}}", args{"Version": version}))
	about.Importance = widget.LowImportance
	v.body = container.NewVBox(v.form, container.NewHBox(refresh), v.note)
	v.root = container.NewPadded(container.NewBorder(nil, about, nil, nil, container.NewVScroll(v.body)))
	return v
}

// addCheck puts the device test under the device lists.
func (v *settingsView) addCheck(c *checkSection) {
	v.check = c
	v.body.Objects = append(v.body.Objects[:1], append([]fyne.CanvasObject{c.root}, v.body.Objects[1:]...)...)
	v.body.Refresh()
}

// setDevices fills the lists; a non-empty problem is shown under them.
func (v *settingsView) setDevices(inv devices.Inventory, problem string) {
	v.quiet = true
	defer func() { v.quiet = false }()
	v.cams, v.mics, v.speakers = newDeviceChoice(cameraChoices(inv)), newDeviceChoice(inv.Microphones), newDeviceChoice(inv.Speakers)
	v.camera.SetOptions(v.cams.labels)
	v.microphone.SetOptions(v.mics.labels)
	v.speaker.SetOptions(v.speakers.labels)
	v.camera.SetSelected(v.cams.label(v.s.CameraID))
	v.microphone.SetSelected(v.mics.label(v.s.MicrophoneID))
	v.speaker.SetSelected(v.speakers.label(v.s.SpeakerID))
	v.resolution.SetSelected(v.s.Resolution)
	v.synthetic.SetChecked(v.s.Synthetic)
	v.relay.SetChecked(v.s.AlwaysRelay)
	v.echo.SetChecked(v.s.EchoCancel)
	v.noise.SetChecked(v.s.NoiseSuppress)
	v.gain.SetChecked(v.s.GainControl)
	v.syncEnabled()
	note := lang.L("A new camera, microphone or speaker is used at once, also during a call; the other changes apply to the next call.")
	if problem != "" {
		note = problem + "\n" + note
	}
	v.note.SetText(note)
}

func (v *settingsView) syncEnabled() {
	for _, w := range []fyne.Disableable{v.camera, v.microphone, v.echo, v.noise, v.gain} {
		if v.synthetic.Checked {
			w.Disable()
		} else {
			w.Enable()
		}
	}
}

func (v *settingsView) changed() {
	if v.quiet {
		return
	}
	v.s = Settings{
		CameraID:      v.cams.id(v.camera.Selected),
		MicrophoneID:  v.mics.id(v.microphone.Selected),
		SpeakerID:     v.speakers.id(v.speaker.Selected),
		Resolution:    v.resolution.Selected,
		Synthetic:     v.synthetic.Checked,
		AlwaysRelay:   v.relay.Checked,
		EchoCancel:    v.echo.Checked,
		NoiseSuppress: v.noise.Checked,
		GainControl:   v.gain.Checked,
	}
	if v.s.Resolution == "" {
		v.s.Resolution = res480p
	}
	v.syncEnabled()
	v.onChange(v.s)
}

func (u *ui) saveSettings(s Settings) {
	prev := u.settings.get()
	u.settings.set(s)
	u.switchDevices(prev, s)
	s.save(u.prefs)
	if u.autoSynthetic {
		if s.Synthetic {
			// Another setting changed: the synthetic sources stay a default
			// that a camera or microphone found at the next start undoes.
			u.prefs.RemoveValue(prefSynthetic)
		} else {
			u.autoSynthetic = false // unticked: the user's choice from now on
		}
	}
	if ph := u.conn.ph; ph != nil {
		ph.SetRelayOnly(s.AlwaysRelay)
		ph.SetSpeaker(s.SpeakerID)
	}
}

// refreshDevices lists the devices in the background: the sound system can
// take a while to answer.
func (u *ui) refreshDevices() {
	u.goBG(func(context.Context) {
		inv, err := u.devs.List()
		u.post(func() { u.devicesListed(inv, err) })
	})
}

// devicesListed shows the devices found in Settings. UI thread.
func (u *ui) devicesListed(inv devices.Inventory, err error) {
	problem := ""
	if err != nil {
		u.log.Warn("list devices", "err", err)
		problem = lang.L("Could not list the speakers: {{.Err}}", args{"Err": err})
	}
	if len(inv.Cameras) == 0 && len(inv.Microphones) == 0 {
		problem = lang.L("No camera or microphone found — connect one, or use the synthetic sources.")
		if u.autoSynthetic {
			problem = lang.L("No camera or microphone found — calls send the test pattern and tone. Connect a device and untick the synthetic sources to use it.")
		}
	}
	u.setView.setDevices(inv, problem)
}
