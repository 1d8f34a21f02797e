package gui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// hostDialogActions are what the hosting dialog's buttons do.
type hostDialogActions struct {
	copy   func(text string)
	invite func(name string)
	stop   func()
	closed func(*hostDialog)
	// after runs a function on the UI thread later (ui.after).
	after func(time.Duration, func())
}

// hostDialog shows the address guests sign in to, how they sign in, and
// makes invitations. Owned by the UI thread.
type hostDialog struct {
	d       dialog.Dialog
	act     hostDialogActions
	url     string
	content *fyne.Container

	copyURL    *widget.Button
	name       *widget.Entry
	inviteBtn  *widget.Button
	inviteMsg  *widget.Label
	invitation *fyne.Container // shown once an invitation is made
	invAccount *widget.Label
	invToken   *widget.Label
	copyInv    *widget.Button
	invText    string
	stopBtn    *widget.Button
	closeBtn   *widget.Button
	hidden     bool
}

// hostDialogWidth keeps the dialog readable: long enough for a URL and a
// token on one line.
const hostDialogWidth = 560

func newHostDialog(win fyne.Window, hostURL, self string, act hostDialogActions) *hostDialog {
	d := &hostDialog{act: act, url: hostURL}

	intro := widget.NewLabel(lang.L("Others on your network can now sign in to this computer and call you. " +
		"Only people you invite can."))
	intro.Wrapping = fyne.TextWrapWord

	urlText := widget.NewLabelWithStyle(hostURL, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	urlText.Selectable = true
	d.copyURL = widget.NewButtonWithIcon(lang.L("Copy"), theme.ContentCopyIcon(), func() {
		act.copy(hostURL)
		d.flashCopied(d.copyURL, lang.L("Copy"))
	})
	urlRow := container.NewBorder(nil, nil, nil, d.copyURL, urlText)

	how := widget.NewLabel(lang.L("How they sign in: in Duet, Sign out, then enter this address with the account "+
		"and token of their invitation. They find you (“{{.Name}}”) in their contacts.", args{"Name": self}))
	how.Wrapping = fyne.TextWrapWord

	d.name = widget.NewEntry()
	d.name.SetPlaceHolder(lang.L("Their name, e.g. alice"))
	d.inviteBtn = widget.NewButtonWithIcon(lang.L("Create invitation"), theme.ContentAddIcon(), func() { act.invite(d.name.Text) })
	d.inviteBtn.Importance = widget.HighImportance
	d.name.OnSubmitted = func(string) { act.invite(d.name.Text) }
	inviteRow := container.NewBorder(nil, nil, nil, d.inviteBtn, d.name)
	d.inviteMsg = widget.NewLabel("")
	d.inviteMsg.Wrapping = fyne.TextWrapWord
	d.inviteMsg.Hide()

	d.invAccount = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	d.invToken = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	d.invToken.Selectable = true
	serverVal := widget.NewLabelWithStyle(hostURL, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	d.copyInv = widget.NewButtonWithIcon(lang.L("Copy invitation"), theme.ContentCopyIcon(), func() {
		act.copy(d.invText)
		d.flashCopied(d.copyInv, lang.L("Copy invitation"))
	})
	d.copyInv.Importance = widget.HighImportance
	keep := widget.NewLabel(lang.L("Send it privately: the token is a password. " +
		"Inviting the name again replaces it."))
	keep.Wrapping = fyne.TextWrapWord
	keep.Importance = widget.LowImportance
	details := widget.NewForm(
		widget.NewFormItem(lang.L("Server"), serverVal),
		widget.NewFormItem(lang.L("Account"), d.invAccount),
		widget.NewFormItem(lang.L("Token"), d.invToken),
	)
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	d.invitation = container.NewStack(bg, container.NewPadded(container.NewVBox(details,
		container.NewBorder(nil, nil, nil, container.NewCenter(d.copyInv), keep))))
	d.invitation.Hide()

	d.stopBtn = widget.NewButtonWithIcon(lang.L("Stop hosting"), theme.MediaStopIcon(), act.stop)
	d.stopBtn.Importance = widget.DangerImportance
	d.closeBtn = widget.NewButtonWithIcon(lang.L("Close"), theme.CancelIcon(), d.hide)
	buttons := container.NewHBox(d.stopBtn, spacer(), d.closeBtn)

	d.content = container.NewVBox(
		intro,
		heading(lang.L("Server address")),
		urlRow,
		how,
		widget.NewSeparator(),
		heading(lang.L("Invite someone")),
		inviteRow,
		d.inviteMsg,
		d.invitation,
		widget.NewSeparator(),
		buttons,
	)
	d.d = dialog.NewCustomWithoutButtons(lang.L("Hosting on this computer"), d.sized(), win)
	d.d.SetOnClosed(func() {
		d.hidden = true
		act.closed(d)
	})
	return d
}

// heading is a section title in a dialog or the Settings tab.
func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// sized holds the content at the dialog's width; its height follows the
// content, which grows once an invitation is shown.
func (d *hostDialog) sized() fyne.CanvasObject {
	strut := canvas.NewRectangle(color.Transparent)
	strut.SetMinSize(fyne.NewSize(hostDialogWidth, 0))
	return container.NewVBox(strut, d.content)
}

// relayout grows the dialog to what its content now needs.
func (d *hostDialog) relayout() {
	d.content.Refresh()
	d.d.Resize(d.d.MinSize())
}

func (d *hostDialog) show() { d.d.Show() }

func (d *hostDialog) hide() {
	if !d.hidden {
		d.hidden = true
		d.d.Hide()
	}
}

func (d *hostDialog) setInviteBusy(busy bool) {
	setEnabled(d.inviteBtn, !busy)
	if busy {
		d.inviteMsg.Hide()
	}
}

func (d *hostDialog) showInviteError(msg string) {
	d.inviteMsg.Importance = widget.DangerImportance
	d.inviteMsg.SetText(msg)
	d.inviteMsg.Show()
	d.relayout()
}

// showInvitation shows what to send the guest.
func (d *hostDialog) showInvitation(account, token string) {
	d.invText = invitationText(d.url, account, token)
	d.invAccount.SetText(account)
	d.invToken.SetText(token)
	d.inviteMsg.Importance = widget.SuccessImportance
	d.inviteMsg.SetText(lang.L("Invitation for {{.Name}} created.", args{"Name": account}))
	d.inviteMsg.Show()
	d.invitation.Show()
	d.name.SetText("")
	d.relayout()
}

// flashCopied says "Copied" on b for a moment.
func (d *hostDialog) flashCopied(b *widget.Button, label string) {
	flashCopied(b, label, d.act.after)
}

// flashCopied says "Copied" on a Copy button for a moment. UI thread.
func flashCopied(b *widget.Button, label string, after func(time.Duration, func())) {
	setButton(b, lang.L("Copied"), theme.ConfirmIcon())

	after(copiedFor, func() { setButton(b, label, theme.ContentCopyIcon()) })
}
