package gui

import (
	"context"
	"image/color"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Colours of the call screen, which is dark whatever the theme: video looks
// best on black and the overlays must read on top of it.
var (
	callBackground = color.NRGBA{0x12, 0x14, 0x1a, 0xff}
	callText       = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	callSubtle     = color.NRGBA{0xc8, 0xcc, 0xd4, 0xff}
	callShade      = color.NRGBA{0, 0, 0, 0x90}
	callWarning    = color.NRGBA{0xfb, 0xbf, 0x24, 0xff}
)

// callScreen shows the call on screen: the outgoing panel while it rings,
// the in-call panel once answered.
type callScreen struct {
	root *fyne.Container

	outgoing *fyne.Container
	inCall   *fyne.Container

	// outgoing panel
	outName   *canvas.Text
	outStatus *canvas.Text
	cancel    *widget.Button

	// in-call panel
	remote     *videoTile
	peerCard   *fyne.Container // avatar and name, when there is no picture
	preview    *videoTile
	previewBox *fyne.Container
	name       *canvas.Text
	timer      *canvas.Text
	quality    *qualityBars // how the call is going (qualitybars.go)
	peerMuted  *fyne.Container
	peerCamOff *fyne.Container
	banner     *canvas.Text // connecting / reconnecting
	bannerBox  *fyne.Container
	statsText  *widget.Label
	statsBox   *fyne.Container
	gapLines   *fyne.Container // what the call goes without, a line each
	gapBox     *fyne.Container
	gapTexts   []string // shown in gapLines
	mute       *widget.Button
	camera     *widget.Button
	devices    *widget.Button    // the device menu (calldevices.go)
	deviceMenu *widget.PopUpMenu // while shown
	statsBtn   *widget.Button
	compact    *widget.Button // to the compact window and back
	hangup     *widget.Button

	// screen sharing (see screenshare.go)
	share     *widget.Button  // shares the screen and stops
	peerShare *fyne.Container // the peer shares its screen

	// recording (see recording.go)
	recording *fyne.Container // this side records the call
	peerRec   *fyne.Container // the peer records it
	record    *widget.Button  // starts and stops recording
}

func newCallScreen(ac *activeCall, onHangup, onMute, onCamera, onStats func()) *callScreen {
	s := &callScreen{}
	bg := canvas.NewRectangle(callBackground)

	// Outgoing: the callee, how long it has rung, Cancel.
	s.outName = bigText(displayName(ac.peer), 28, callText)
	s.outStatus = bigText("", 16, callSubtle)
	s.cancel = widget.NewButtonWithIcon(lang.L("Cancel"), iconHangup, onHangup)
	s.cancel.Importance = widget.DangerImportance
	s.outgoing = container.NewCenter(container.NewVBox(
		container.NewCenter(newAvatar(displayName(ac.peer), 128)),
		container.NewCenter(s.outName),
		container.NewCenter(s.outStatus),
		gap(24),
		container.NewCenter(container.NewGridWrap(fyne.NewSize(180, 44), s.cancel)),
	))

	// In call.
	s.remote = newVideoTile()
	s.peerCard = container.NewCenter(container.NewVBox(
		container.NewCenter(newAvatar(displayName(ac.peer), 144)),
		container.NewCenter(bigText(displayName(ac.peer), 24, callText)),
	))
	s.preview = newVideoTile()
	previewBg := canvas.NewRectangle(color.Black)
	previewBg.StrokeColor = color.NRGBA{0xff, 0xff, 0xff, 0x60}
	previewBg.StrokeWidth = 1
	s.previewBox = container.NewStack(previewBg, s.preview)

	s.name = bigText(displayName(ac.peer), 20, callText)
	s.name.TextStyle.Bold = true
	s.name.Alignment = fyne.TextAlignLeading
	s.timer = bigText("", 14, callSubtle)
	s.timer.Alignment = fyne.TextAlignLeading
	s.peerMuted = indicator(iconMicOff, lang.L("muted"))
	s.peerCamOff = indicator(iconVideoOff, lang.L("camera off"))
	s.recording, s.peerRec = recordingIndicators(ac.peer)
	s.peerShare = peerSharingIndicator(ac.peer)
	topShade := canvas.NewVerticalGradient(callShade, color.Transparent)
	s.quality = newQualityBars()
	top := container.NewStack(topShade, container.NewPadded(container.NewHBox(
		container.NewVBox(container.NewHBox(s.name, s.quality), s.timer), layout.NewSpacer(),
		s.recording, s.peerRec, s.peerShare, s.peerMuted, s.peerCamOff)))

	s.banner = bigText("", 18, callWarning)
	// A shade behind the banner keeps it readable over any picture.
	bannerBg := canvas.NewRectangle(callShade)
	bannerBg.CornerRadius = 8
	s.bannerBox = container.NewStack(bannerBg, container.NewPadded(container.NewPadded(s.banner)))
	s.bannerBox.Hide()
	s.statsText = widget.NewLabel("")
	s.statsText.TextStyle = fyne.TextStyle{Monospace: true}
	statsBg := canvas.NewRectangle(callShade)
	statsBg.CornerRadius = 8
	s.statsBox = container.NewStack(statsBg, s.statsText)
	s.statsBox.Hide()

	// What the call goes without sits over the controls it disables.
	s.gapLines = container.NewVBox()
	gapBg := canvas.NewRectangle(color.NRGBA{0, 0, 0, 0xc8}) // darker: it sits on the picture
	gapBg.CornerRadius = 8
	s.gapBox = container.NewStack(gapBg, container.NewPadded(s.gapLines))
	s.gapBox.Hide()

	s.mute = widget.NewButtonWithIcon(lang.L("Mute"), iconMic, onMute)
	s.camera = widget.NewButtonWithIcon(lang.L("Camera off"), iconVideo, onCamera)
	s.record = widget.NewButtonWithIcon(lang.L(recordLabel), theme.MediaRecordIcon(), nil) // see showCall
	s.share = widget.NewButtonWithIcon("", theme.ComputerIcon(), nil)                      // see showCall
	s.devices = widget.NewButtonWithIcon(lang.L("Devices"), theme.SettingsIcon(), nil)
	s.statsBtn = widget.NewButtonWithIcon(lang.L("Stats"), theme.InfoIcon(), onStats)
	s.compact = widget.NewButtonWithIcon(lang.L(compactLabel), theme.ViewRestoreIcon(), nil) // see showCall
	s.hangup = widget.NewButtonWithIcon(lang.L("Hang up"), iconHangup, onHangup)
	s.hangup.Importance = widget.DangerImportance
	bottomShade := canvas.NewVerticalGradient(color.Transparent, callShade)
	controls := container.NewVBox(container.NewCenter(s.gapBox), container.NewStack(bottomShade, container.NewPadded(container.NewCenter(
		container.NewHBox(s.mute, s.camera, s.share, s.devices, s.record, s.statsBtn, s.compact,
			widget.NewSeparator(), s.hangup)))))

	overlay := container.NewBorder(top, controls, nil, nil,
		container.NewBorder(container.NewHBox(container.NewPadded(s.statsBox)), nil, nil, nil,
			container.NewCenter(s.bannerBox)))
	s.inCall = container.NewStack(s.peerCard, s.remote, overlay,
		container.New(&cornerLayout{bottomMargin: 76, margin: 16, width: 220}, s.previewBox))

	s.root = container.NewStack(bg, s.outgoing, s.inCall)
	s.quality.relayout = s.root.Refresh
	return s
}

// gap is fixed empty space in a box.
func gap(h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(1, h))
	return r
}

func bigText(s string, size float32, c color.Color) *canvas.Text {
	t := canvas.NewText(s, c)
	t.TextSize = size
	t.Alignment = fyne.TextAlignCenter
	return t
}

// indicator is an icon with a caption, e.g. "muted".
func indicator(icon fyne.Resource, caption string) *fyne.Container {
	img := canvas.NewImageFromResource(theme.NewColoredResource(icon, theme.ColorNameWarning))
	img.SetMinSize(fyne.NewSquareSize(20))
	img.FillMode = canvas.ImageFillContain
	c := container.NewHBox(img, bigText(caption, 14, callWarning))
	c.Hide()
	return c
}

// update shows ac's state. UI thread.
func (s *callScreen) update(ac *activeCall, now time.Time) {
	ringing := ac.phase <= phaseRinging || (ac.phase == phaseEnded && ac.answered.IsZero())
	if ringing {
		if setVisible(s.outgoing, true) || setVisible(s.inCall, false) {
			s.root.Refresh()
		}
		s.outStatus.Text = ac.status(now)
		s.outStatus.Refresh()
		if ac.phase == phaseEnded {
			s.cancel.SetText(lang.L("Close"))
			s.cancel.SetIcon(theme.NavigateBackIcon())
			s.cancel.Importance = widget.MediumImportance
			s.cancel.Refresh()
		}
		return
	}
	if setVisible(s.inCall, true) || setVisible(s.outgoing, false) {
		s.root.Refresh()
	}

	s.timer.Text = ac.status(now)
	s.timer.Refresh()
	if banner := ac.banner(now); s.banner.Text != banner {
		s.banner.Text = banner
		s.banner.Refresh()
		if setVisible(s.bannerBox, banner != "") {
			s.root.Refresh()
		}
	}
	changed := setVisible(s.remote, ac.showRemoteVideo())
	changed = setVisible(s.peerCard, !ac.showRemoteVideo()) || changed
	changed = setVisible(s.previewBox, ac.showPreview() && !ac.compact) || changed
	changed = s.setCompact(ac.compact) || changed
	changed = setVisible(s.peerMuted, ac.session != nil && !ac.peerAudio) || changed
	changed = setVisible(s.peerCamOff, ac.session != nil && ac.showsVideo() && !ac.peerVideo) || changed
	changed = setVisible(s.statsBox, ac.showStats) || changed
	changed = s.updateRecording(ac) || changed
	changed = s.updateSharing(ac) || changed
	changed = s.quality.set(ac.shownQuality()) || changed
	if changed {
		s.root.Refresh() // lay out again around what appeared or went
	}
	if ac.showStats {
		s.statsText.SetText(statsText(ac.stats))
	}

	if s.setGaps(ac.gapLines()) {
		s.root.Refresh()
	}

	// A control for a device the call lacks says so, disabled.
	switch {
	case ac.gaps.mic:
		setButton(s.mute, lang.L(noMicLabel), iconMicOff)
	case ac.micOn:
		setButton(s.mute, lang.L("Mute"), iconMic)
	default:
		setButton(s.mute, lang.L("Unmute"), iconMicOff)
	}
	switch {
	case ac.gaps.camera:
		setButton(s.camera, lang.L(noCameraLabel), iconVideoOff)
	case ac.camOn:
		setButton(s.camera, lang.L("Camera off"), iconVideo)
	default:
		setButton(s.camera, lang.L("Camera on"), iconVideoOff)
	}
	setEnabled(s.camera, ac.cameraUsable())
	setEnabled(s.mute, ac.session != nil && !ac.gaps.mic)
}

// setGaps shows lines about what the call goes without and reports
// whether the box appeared or went.
func (s *callScreen) setGaps(lines []string) bool {
	if slices.Equal(lines, s.gapTexts) {
		return false
	}
	s.gapTexts = lines
	objs := make([]fyne.CanvasObject, len(lines))
	for i, l := range lines {
		c := callWarning
		if l == lang.L(syntheticInCall) {

			c = callSubtle // information, not a fault
		}
		objs[i] = bigText(l, 16, c)
	}
	s.gapLines.Objects = objs
	s.gapLines.Refresh()
	return setVisible(s.gapBox, len(lines) > 0) || len(lines) > 0
}

// setVisible shows or hides o and reports whether that changed anything.
// Fyne does not lay a container out again when a child appears: callers
// refresh the container when it did.
func setVisible(o fyne.CanvasObject, on bool) bool {
	switch {
	case on && !o.Visible():
		o.Show()
	case !on && o.Visible():
		o.Hide()
	default:
		return false
	}
	return true
}

func setEnabled(b *widget.Button, on bool) {
	if on && b.Disabled() {
		b.Enable()
	} else if !on && !b.Disabled() {
		b.Disable()
	}
}

func setButton(b *widget.Button, text string, icon fyne.Resource) {
	if b.Text != text {
		b.Text, b.Icon = text, icon
		b.Refresh()
	}
}

// cornerLayout puts its one object in the bottom-right corner at a fixed
// width with a 4:3 shape: the self-view.
type cornerLayout struct {
	margin, bottomMargin, width float32
}

func (l *cornerLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(l.width, size.Width/3)
	h := w * 3 / 4
	for _, o := range objs {
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos(size.Width-w-l.margin, size.Height-h-l.bottomMargin))
	}
}

func (l *cornerLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, 0) }

// showCall puts ac on screen. UI thread.
func (u *ui) showCall(ac *activeCall) {
	u.call = ac
	u.closeHostDialog() // it would float over the call
	u.callView = newCallScreen(ac, u.hangupTapped, u.toggleMute, u.toggleCamera, u.toggleStats)
	u.callView.record.OnTapped = u.toggleRecording
	u.callView.share.OnTapped = u.toggleScreenShare
	u.checkScreens(ac)
	u.callView.compact.OnTapped = u.toggleCompact
	u.callView.devices.OnTapped = u.deviceMenuTapped
	u.callView.update(ac, time.Now())
	u.win.SetContent(u.callView.root)
	// One ticker for the clock, stopped with the call screen.
	ctx, cancel := context.WithCancel(u.ctx)
	ac.stop = cancel
	u.goBG(func(context.Context) {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				u.post(func() {
					if u.call == ac {
						u.refreshCall()
					}
				})
			}
		}
	})
}

// startCallMedia hooks the media session's video to the screen: the remote
// tile, the self-view and the pump that redraws them.
// A call that began without video gets them too: its camera, or the
// peer's, may turn video on (their sources wait until then).
func (u *ui) startCallMedia(ac *activeCall) {
	v := u.callView
	if v == nil {
		return
	}
	s := ac.session
	remote := remoteSource{slot: s.RemoteVideo()}
	v.remote.setSource(remote)
	items := []pumpItem{{v.remote, remote}}
	prevStop := ac.stop
	ctx, cancel := context.WithCancel(u.ctx)
	ac.stop = func() {
		cancel()
		if prevStop != nil {
			prevStop()
		}
	}
	if c := s.Capture(); c != nil {
		if r := c.NewVideoPreview(); r != nil {
			p := &previewSource{}
			v.preview.setSource(p)
			items = append(items, pumpItem{v.preview, p})
			u.goBG(func(context.Context) { p.run(ctx, r) })
		}
	}
	u.goBG(func(context.Context) { u.pumpVideo(ctx, items) })
	if u.smoke != nil && ac.video() {
		u.smoke.begin(u, ac, v.remote)
	}
}

// refreshCall redraws the call screen from the model. UI thread.
func (u *ui) refreshCall() {
	if u.call != nil && u.callView != nil {
		u.callView.update(u.call, time.Now())
	}
}

func (u *ui) toggleMute() {
	ac := u.call
	if ac == nil || ac.session == nil || ac.gaps.mic {
		return
	}
	ac.micOn = !ac.micOn
	ac.session.SetMicrophone(ac.micOn)
	u.refreshCall()
}

func (u *ui) toggleCamera() {
	ac := u.call
	if ac == nil || !ac.cameraUsable() {
		return
	}
	ac.camOn = !ac.camOn
	ac.session.SetCamera(ac.camOn)
	u.refreshCall()
}

func (u *ui) toggleStats() {
	if ac := u.call; ac != nil {
		ac.showStats = !ac.showStats
		if ac.session != nil {
			ac.stats = ac.session.Stats()
		}
		u.refreshCall()
	}
}
