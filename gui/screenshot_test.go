package gui

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"duet/devices"
	"duet/internal/pulsetest"
)

// screenshotsEnv names a directory for the GUI tests' screenshots (as for
// the web client's); without it they go to the test's temporary directory.
// `DUET_SCREENSHOTS=$PWD/docs/screenshots go test -run Screenshot ./gui/`
// makes the ones in the docs.
const screenshotsEnv = "DUET_SCREENSHOTS"

// saveScreenshot writes what the window shows as name (a PNG).
func (a *desk) saveScreenshot(name string) {
	a.t.Helper()
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = a.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		a.t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		a.t.Fatal(err)
	}
	onUI(func() { err = png.Encode(f, a.w.Canvas().Capture()) })
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		a.t.Fatal(err)
	}
	a.t.Logf("screenshot: %s", path)
}

// Settings' device test on a real microphone: the monitor of a PulseAudio
// sink into which a tone swelling and fading plays, so the level meter
// moves, with the detailed synthetic scene as the camera. The test checks
// that the meter moves and the preview has frames, and takes the
// screenshot docs/screenshots/settings-device-check.png.
func TestSettingsDeviceCheckScreenshot(t *testing.T) {
	r := newRig(t)
	sink := pulsetest.Sink{Name: "duet_gui_desk", Description: "Desk"}
	pulsetest.Start(t, sink)
	inv, err := devices.List()
	if err != nil {
		t.Fatal(err)
	}
	speaker := inv.Speakers[slices.IndexFunc(inv.Speakers, func(d devices.Device) bool { return d.Label == sink.Description })]
	mic := inv.Microphones[slices.IndexFunc(inv.Microphones, func(d devices.Device) bool { return d.Label == sink.MonitorLabel() })]
	var phase, swell float64
	pb, err := devices.OpenPlaybackFrom(speaker.ID, 48000, 1, func(out []int16) {
		for i := range out {
			amp := 0.02 + 0.5*(1+math.Sin(swell))/2
			out[i] = int16(math.Round(amp * 32767 * math.Sin(phase)))
			phase = math.Mod(phase+2*math.Pi*440/48000, 2*math.Pi)
			swell = math.Mod(swell+2*math.Pi*0.7/48000, 2*math.Pi)
		}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()

	a := r.newApp("alice", "alice-desktop", func(u *ui) {
		s := u.settings.get()
		s.Synthetic, s.CameraID, s.MicrophoneID, s.SpeakerID = false, devices.SyntheticSceneCameraID, mic.ID, speaker.ID
		s.EchoCancel, s.NoiseSuppress, s.GainControl = false, false, false // the tone as it is
		u.settings.set(s)
		u.setView.s = s
	})
	a.signIn()
	onUI(func() {
		a.w.Resize(fyne.NewSize(980, 840)) // the preview and the meter in view
		a.u.main.tabs.SelectIndex(2)
	})
	a.waitFor("the sink's monitor listed", func() bool { return a.u.setView.microphone.Selected == sink.MonitorLabel() })
	a.tap(func() *widget.Button { return a.u.setView.check.toggle })
	lo, hi := 1.0, 0.0
	a.waitFor("the level meter moving", func() bool {
		l := a.u.setView.check.level.Value
		lo, hi = min(lo, l), max(hi, l)
		return hi-lo > 0.2
	})
	t.Logf("level meter between %.2f and %.2f", lo, hi)
	a.waitFor("camera frames for the preview", func() bool {
		src := a.u.setView.check.preview.src
		return src != nil && src.seq() > 10
	})
	// The screenshot with the meter well up.
	a.waitFor("the meter high", func() bool { return a.u.setView.check.level.Value > 0.7 })

	a.saveScreenshot("settings-device-check.png")
	a.tap(func() *widget.Button { return a.u.setView.check.toggle })
	a.waitFor("the test stopped", func() bool { return a.u.devCheck.Load() == nil })
}
