package gui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// mainView is the signed-in screen: a header with who we are and the
// connection's state, a notice line, and the Contacts, History and Settings tabs.
type mainView struct {
	root     *fyne.Container
	tabs     *container.AppTabs
	dot      *canvas.Circle
	status   *widget.Label
	signOut  *widget.Button
	hosting  *widget.Button // shows while hosting; opens the hosting details
	notice   *widget.Label
	noticeBg *fyne.Container
	noticeN  int // counts notices so an old one's timer does not clear a newer one
	onTab    func(index int)
}

func newMainView(contacts, history, settings fyne.CanvasObject, onSignOut func()) *mainView {
	v := &mainView{
		dot:    canvas.NewCircle(presenceColor(0)),
		status: widget.NewLabel(""),
		notice: widget.NewLabel(""),
	}
	v.signOut = widget.NewButtonWithIcon(lang.L("Sign out"), theme.LogoutIcon(), onSignOut)
	v.signOut.Importance = widget.LowImportance
	v.hosting = widget.NewButtonWithIcon("", iconHosting, nil)
	v.hosting.Importance = widget.SuccessImportance
	v.hosting.Hide()
	logo := canvas.NewImageFromResource(appIcon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSquareSize(28))
	dot := container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(10), v.dot))
	title := widget.NewLabelWithStyle("Duet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	header := container.NewBorder(nil, nil, container.NewHBox(logo, title), container.NewHBox(v.hosting, v.signOut),
		container.NewHBox(dot, v.status))

	v.notice.Wrapping = fyne.TextWrapWord
	v.notice.Importance = widget.HighImportance
	v.noticeBg = container.NewStack(canvas.NewRectangle(theme.Color(theme.ColorNameHover)), v.notice)
	v.noticeBg.Hide()

	v.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(lang.L("Contacts"), theme.AccountIcon(), contacts),
		container.NewTabItemWithIcon(lang.L("History"), theme.HistoryIcon(), history),
		container.NewTabItemWithIcon(lang.L("Settings"), theme.SettingsIcon(), settings),
	)
	v.tabs.OnSelected = func(*container.TabItem) {
		if v.onTab != nil {
			v.onTab(v.tabs.SelectedIndex())
		}
	}
	v.root = container.NewBorder(container.NewVBox(container.NewPadded(header), widget.NewSeparator(), v.noticeBg),
		nil, nil, nil, v.tabs)
	return v
}

// setStatus shows the connection state in the header.
func (v *mainView) setStatus(s connState, account, detail string) {
	text := account + " · "
	var c color.Color
	switch s {
	case connOnline:
		text += lang.L("online")
		c = presenceOnline
	case connReconnecting:
		text += detail
		c = presenceBusy
	default:
		text += lang.L("offline")
		c = presenceOffline
	}
	v.dot.FillColor = c
	v.dot.Refresh()
	v.status.SetText(text)
}

// noticeFor is how long a notice stays.
const noticeFor = 6 * time.Second

// notice shows a short message under the header for a few seconds. UI thread.
func (u *ui) notice(msg string) { u.noticeFor(msg, noticeFor) }

// noticeFor shows a notice for d. UI thread.
func (u *ui) noticeFor(msg string, d time.Duration) {
	v := u.main
	v.noticeN++
	n := v.noticeN
	v.notice.SetText(msg)
	if setVisible(v.noticeBg, true) {
		v.root.Refresh()
	}
	u.log.Debug("notice", "text", msg)
	u.after(d, func() {
		if v.noticeN == n && setVisible(v.noticeBg, false) {
			v.root.Refresh()
		}
	})
}

// settingsTab is the Settings tab's index.
const settingsTab = 2

// tabChanged loads what a tab shows when it is opened.

func (u *ui) tabChanged(i int) {
	switch i {
	case 1:
		u.reloadHistory()
	case settingsTab:
		u.refreshDevices()
	}
}

func newNotification(title, body string) *fyne.Notification {
	return fyne.NewNotification(title, body)
}
