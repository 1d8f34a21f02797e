package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// hostingView is what the Settings tab shows about hosting.
type hostingView struct {
	available bool   // the Host action can run
	why       string // why not, when it cannot
	url       string // guests' URL while hosting
	busy      bool   // starting or stopping
}

// actionsSection is the lower part of the Settings tab: hosting this
// computer's server for the LAN, and copying diagnostics for a bug report.
type actionsSection struct {
	root       *fyne.Container
	hostStatus *widget.Label
	hostBtn    *widget.Button
	stopBtn    *widget.Button
	hostWhy    *widget.Label
	diagBtn    *widget.Button
	keysBtn    *widget.Button
}

func newActionsSection(onHost, onStop, onDiagnostics, onShortcuts func()) *actionsSection {
	a := &actionsSection{
		hostStatus: widget.NewLabel(""),
		hostWhy:    widget.NewLabel(""),
	}
	a.hostStatus.Wrapping = fyne.TextWrapWord
	a.hostWhy.Wrapping = fyne.TextWrapWord
	a.hostWhy.Importance = widget.WarningImportance
	a.hostWhy.Hide()
	a.hostBtn = widget.NewButtonWithIcon(lang.L("Host a server on this computer…"), iconHosting, onHost)
	a.stopBtn = widget.NewButtonWithIcon(lang.L("Stop hosting"), theme.MediaStopIcon(), onStop)
	a.stopBtn.Importance = widget.DangerImportance
	a.stopBtn.Hide()

	a.diagBtn = widget.NewButtonWithIcon(lang.L("Copy diagnostics"), theme.ContentCopyIcon(), onDiagnostics)
	diagNote := widget.NewLabel(lang.L("Copies a report for a bug report: versions, devices, connection, " +
		"the call's figures and the log's last lines. No tokens. In a call: Ctrl+Shift+D."))
	diagNote.Wrapping = fyne.TextWrapWord

	host := container.NewVBox(heading(lang.L("Host a server")), a.hostStatus, container.NewHBox(a.hostBtn, a.stopBtn), a.hostWhy)
	a.keysBtn = widget.NewButtonWithIcon(lang.L("Keyboard shortcuts"), theme.HelpIcon(), onShortcuts)
	diag := container.NewVBox(heading(lang.L("Troubleshooting")), diagNote, container.NewHBox(a.diagBtn, a.keysBtn))
	a.root = container.NewVBox(widget.NewSeparator(), container.NewGridWithColumns(2, host, diag))
	a.set(hostingView{available: true})
	return a
}

// set shows the hosting state. UI thread.
func (a *actionsSection) set(h hostingView) {
	switch {
	case h.busy && h.url == "":
		a.hostStatus.SetText(lang.L("Opening this computer's server to the network…"))
	case h.busy:
		a.hostStatus.SetText(lang.L("Stopping…"))
	case h.url != "":
		a.hostStatus.SetText(lang.L("Hosting at {{.URL}}: people you invite sign in there.", args{"URL": h.url}))
	default:
		a.hostStatus.SetText(lang.L("Let others on your network sign in to this computer and call you."))
	}
	if h.url != "" {
		setButton(a.hostBtn, lang.L("Invitations…"), iconHosting)
	} else {
		setButton(a.hostBtn, lang.L("Host a server on this computer…"), iconHosting)
	}
	setEnabled(a.hostBtn, h.available && !h.busy)
	setEnabled(a.stopBtn, !h.busy)
	setVisible(a.stopBtn, h.url != "")
	a.hostWhy.SetText(h.why)
	setVisible(a.hostWhy, h.why != "")
	a.root.Refresh()
}

// addActions puts the hosting and diagnostics section under the devices.
func (v *settingsView) addActions(a *actionsSection) {
	v.actions = a
	v.body.Add(a.root)
}

func (v *settingsView) setHosting(h hostingView) {
	if v.actions != nil {
		v.actions.set(h)
	}
}

// setHosting shows or hides the header's hosting badge.
func (v *mainView) setHosting(url string) {
	if url != "" {
		v.hosting.SetText(lang.L("Hosting · {{.Host}}", args{"Host": hostOf(url)}))

	}
	if setVisible(v.hosting, url != "") {
		v.root.Refresh()
	}
}
