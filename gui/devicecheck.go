package gui

import (
	"context"
	"math"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"duet/devices"
)

// Labels of the device check in Settings.
const (
	checkStartLabel = "Test camera and microphone"
	checkStopLabel  = "Stop the test"
	testSoundLabel  = "Play test sound"
)

// levelFloor is the quietest level the meter shows above empty, in dBFS.
const levelFloor = -60

// checkSection is Settings' device check: a live preview of the camera, a
// level meter of the microphone and a test sound for the speaker, as
// Signal and Linphone have.
type checkSection struct {
	root    fyne.CanvasObject
	toggle  *widget.Button
	sound   *widget.Button
	level   *widget.ProgressBar
	preview *videoTile
	box     *fyne.Container // preview and meter, shown while testing
}

func newCheckSection(onToggle, onSound func()) *checkSection {
	c := &checkSection{level: widget.NewProgressBar(), preview: newVideoTile()}
	c.level.TextFormatter = func() string { return "" }
	c.toggle = widget.NewButton(lang.L(checkStartLabel), onToggle)
	c.sound = widget.NewButton(lang.L(testSoundLabel), onSound)
	previewArea := container.NewGridWrap(fyne.NewSize(240, 180), c.preview)
	c.box = container.NewVBox(previewArea, widget.NewLabel(lang.L("Microphone level")), c.level)
	c.box.Hide()
	c.root = container.NewVBox(container.NewHBox(c.toggle, c.sound), c.box)
	return c
}

// deviceCheck is a device test under way: the capture it opened, closed
// by stop. Its capture is guarded by mu, for a call that starts meanwhile
// (openCapture) takes the devices back from another goroutine.
type deviceCheck struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	c      *devices.Capture // guarded by mu
	closed bool             // guarded by mu
}

func (d *deviceCheck) set(c *devices.Capture) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.c = c
	return true
}

// stop ends the test and releases the devices; safe from any goroutine.
func (d *deviceCheck) stop() {
	d.cancel()
	d.mu.Lock()
	c := d.c
	d.closed, d.c = true, nil
	d.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// toggleDeviceCheck starts or stops the device test. UI thread.
func (u *ui) toggleDeviceCheck() {
	v := u.setView.check
	if d := u.devCheck.Swap(nil); d != nil {
		u.goBG(func(context.Context) { d.stop() })
		u.deviceCheckEnded()
		return
	}
	if u.call != nil {
		u.notice(lang.L("The devices are in use by the call"))
		return
	}
	ctx, cancel := context.WithCancel(u.ctx)
	d := &deviceCheck{cancel: cancel}
	u.devCheck.Store(d)
	v.toggle.SetText(lang.L(checkStopLabel))
	v.level.SetValue(0)
	v.box.Show()
	u.setView.body.Refresh() // Fyne lays a box out again only when told
	s := u.settings.get()
	w, h := s.Size()
	u.goBG(func(context.Context) {
		c, err := u.devs.Open(ctx, devices.CaptureConfig{CameraID: s.CameraID, MicrophoneID: s.MicrophoneID,
			Width: w, Height: h, Synthetic: s.Synthetic, Video: true, Audio: true, Processing: s.processing(), Logger: u.log})
		if err != nil {
			u.post(func() { u.notice(lang.L("The devices could not be opened: {{.Err}}", args{"Err": err})) })
			return
		}
		if !d.set(c) {
			c.Close()
			return
		}
		if r := c.NewVideoPreview(); r != nil {
			p := &previewSource{}
			u.post(func() { v.preview.setSource(p) })
			u.goBG(func(context.Context) { p.run(ctx, r) })
			u.goBG(func(context.Context) { u.pumpVideo(ctx, []pumpItem{{v.preview, p}}) })
		}
		if m, err := c.NewLevelMeter(); err == nil {
			u.meterLevel(ctx, m, v.level)
		}
	})
}

// deviceCheckEnded puts the device test's widgets back. UI thread.
func (u *ui) deviceCheckEnded() {
	v := u.setView.check
	v.toggle.SetText(lang.L(checkStartLabel))
	v.box.Hide()
	u.setView.body.Refresh()
	v.preview.setSource(nil)
}

// meterLevel shows the microphone's level, ten times a second, until the
// test ends. Its own goroutine.
func (u *ui) meterLevel(ctx context.Context, m *devices.LevelMeter, bar *widget.ProgressBar) {
	var last time.Time
	peak := math.Inf(-1)
	for ctx.Err() == nil {
		l, err := m.Read()
		if err != nil {
			return
		}
		peak = max(peak, l)
		if time.Since(last) < 100*time.Millisecond {
			continue
		}
		value := min(max((peak-levelFloor)/-levelFloor, 0), 1)
		u.post(func() { bar.SetValue(value) })
		last, peak = time.Now(), math.Inf(-1)
	}
}

// playTestSound plays the chime on the chosen speaker in the background.
// UI thread.
func (u *ui) playTestSound() {
	speaker := u.settings.get().SpeakerID
	btn := u.setView.check.sound
	btn.Disable()
	u.goBG(func(context.Context) {
		err := devices.PlayTestSound(speaker)
		u.post(func() {
			btn.Enable()
			if err != nil {
				u.notice(lang.L("No sound: {{.Err}}", args{"Err": err}))
			}
		})
	})
}
