package gui

import (
	"context"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"duet/devices"
)

// copyDiagnostics copies a report for a bug report to the clipboard and
// says so (button callback). Devices and the log are read in the
// background; the rest is the UI's state when they are in.
func (u *ui) copyDiagnostics() {
	path := u.cfg.LogPath
	u.goBG(func(context.Context) {
		inv, invErr := u.devs.List()
		voiceErr := devices.CheckAudioProcessing()
		var tail []string
		var logErr error
		if path != "" {
			tail, logErr = readLogTail(path, diagLogLines)
		}
		u.post(func() {
			d := u.diagnostics()
			d.Devices, d.DevicesErr, d.VoiceErr = inv, invErr, voiceErr
			d.LogPath, d.LogTail, d.LogErr = path, tail, logErr
			u.copyText(d.report())
			u.log.Info("diagnostics copied")
			if u.setView.actions != nil {
				flashCopied(u.setView.actions.diagBtn, lang.L("Copy diagnostics"), u.after)
			}
			u.confirm(lang.L("Diagnostics copied to the clipboard — paste them into your bug report"))
		})
	})
}

// confirm tells the user an action worked: a notice on the main view, a
// short-lived note elsewhere (the call screen). UI thread.
func (u *ui) confirm(msg string) {
	if u.win.Content() == u.main.root {
		u.notice(msg)
		return
	}
	note := widget.NewLabelWithStyle(msg, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	p := widget.NewPopUp(container.NewPadded(note), u.win.Canvas())
	size := p.MinSize()
	p.ShowAtPosition(fyne.NewPos((u.win.Canvas().Size().Width-size.Width)/2, theme.Padding()*4))
	u.confirmPopUp = p
	u.after(noticeFor/2, func() {
		p.Hide()
		if u.confirmPopUp == p {
			u.confirmPopUp = nil
		}
	})
}

// diagnostics gathers the UI's part of a report. UI thread.
func (u *ui) diagnostics() diagnostics {
	d := diagnostics{
		At: time.Now(), Version: u.cfg.Version,
		OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version(),
		Settings:   u.settings.get(),
		VideoFile:  u.cfg.VideoFile,
		AudioFile:  u.cfg.AudioFile,
		ServerURL:  u.conn.form.Server,
		HostingURL: u.host.url,
		Account:    u.conn.cfg.Account,
		ConnState:  u.conn.state,
	}
	if d.ServerURL == "" {
		d.ServerURL = u.signin.form().Server
	}
	d.Embedded = u.cfg.Host != nil && d.ServerURL == u.cfg.Host.URL()
	if ac := u.call; ac != nil {
		c := &callDiagnostics{Peer: ac.peer, CID: ac.cid, Type: ac.typ.String(), Mode: ac.mode.String(),
			Outgoing: ac.outgoing, Phase: ac.phase, Answered: !ac.answered.IsZero()}
		c.Since = time.Since(ac.placed)
		if c.Answered {
			c.Since = time.Since(ac.answered)
		}
		if ac.session != nil {
			c.MediaState = ac.mediaState.String()
			c.HaveStats, c.Stats = true, ac.stats
		}
		d.Call = c
	}
	return d
}
