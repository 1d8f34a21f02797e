package gui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"duet/call/proto"
)

// noticeLinger is how long the ringing dialog shows why it closes by itself.
const noticeLinger = 1500 * time.Millisecond

// ringingDialog is the incoming call: who, what kind, their note, and the
// three answers.
type ringingDialog struct {
	cid    string
	caller string
	typ    proto.CallType
	custom string

	d           dialog.Dialog
	name        *widget.Label
	notice      *widget.Label
	acceptVideo *widget.Button
	acceptAudio *widget.Button
	rejectBtn   *widget.Button
	closing     bool
}

func newRingingDialog(win fyne.Window, e *proto.BeCalling, accept func(proto.CallType), reject func()) *ringingDialog {
	r := &ringingDialog{cid: e.CID, caller: e.Caller, typ: e.Type, custom: e.Custom}
	kind := lang.L("Incoming audio call")
	if e.Type == proto.CallTypeVideo {
		kind = lang.L("Incoming video call")
	}
	r.name = widget.NewLabelWithStyle(displayName(e.Caller), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	r.name.SizeName = theme.SizeNameHeadingText
	what := widget.NewLabelWithStyle(kind, fyne.TextAlignCenter, fyne.TextStyle{})
	note := widget.NewLabelWithStyle(e.Custom, fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	note.Wrapping = fyne.TextWrapWord
	if e.Custom == "" {
		note.Hide()
	}
	// The notice line is there, empty, from the start: the dialog's size is
	// fixed when it is built, and a line that appeared later would push the
	// buttons out of it.
	r.notice = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})

	r.acceptVideo = widget.NewButtonWithIcon(lang.L("Accept"), iconVideo, func() { accept(proto.CallTypeVideo) })
	r.acceptVideo.Importance = widget.SuccessImportance
	r.acceptAudio = widget.NewButtonWithIcon(lang.L("Audio only"), iconCall, func() { accept(proto.CallTypeAudio) })
	if e.Type == proto.CallTypeAudio {
		// An audio call has only one way to answer.
		r.acceptVideo.Hide()
		r.acceptAudio.SetText(lang.L("Accept"))
		r.acceptAudio.Importance = widget.SuccessImportance
	}
	r.rejectBtn = widget.NewButtonWithIcon(lang.L("Decline"), iconHangup, reject)
	r.rejectBtn.Importance = widget.DangerImportance

	content := container.NewVBox(
		container.NewCenter(newAvatar(displayName(e.Caller), 96)),
		r.name, what, note, r.notice,
		container.NewGridWithColumns(3, r.rejectBtn, r.acceptAudio, r.acceptVideo),
	)
	if e.Type == proto.CallTypeAudio {
		content.Objects[len(content.Objects)-1] = container.NewGridWithColumns(2, r.rejectBtn, r.acceptAudio)
	}
	r.d = dialog.NewCustomWithoutButtons(lang.L("Incoming call"), container.NewGridWrap(fyne.NewSize(380, content.MinSize().Height), content), win)
	return r
}

func (r *ringingDialog) show() { r.d.Show() }

// setReconnecting says the call cannot be answered until the connection is
// back; it keeps ringing meanwhile, and Decline still works. UI thread.
func (r *ringingDialog) setReconnecting(on bool) {
	if r.closing {
		return
	}
	if on {
		r.notice.SetText(lang.L(reconnectingText))

		r.acceptVideo.Disable()
		r.acceptAudio.Disable()
		return
	}
	r.notice.SetText("")
	r.acceptVideo.Enable()
	r.acceptAudio.Enable()
}

// closeRingingDialog closes the ringing dialog, at once or, with a notice,
// after showing it briefly. UI thread.
func (u *ui) closeRingingDialog(notice string) {
	r := u.ring
	if r == nil {
		return
	}
	u.ring = nil
	u.stopRinging()
	if notice == "" {
		r.d.Hide()
		return
	}
	r.closing = true
	r.notice.SetText(notice)
	r.acceptVideo.Disable()
	r.acceptAudio.Disable()
	r.rejectBtn.Disable()
	u.notice(notice)
	u.after(noticeLinger, r.d.Hide)
}
