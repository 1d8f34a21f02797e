package gui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
)

// Labels of the call screen's recording controls.
const (
	recordLabel     = "Record"
	stopRecordLabel = "Stop recording"
	recordingLabel  = "Recording"
)

// recordingState is the call's recording as the call screen shows it.
// Owned by the UI thread.
type recordingState struct {
	on   bool   // this side records (the session said yes)
	busy bool   // starting or stopping, off the UI thread
	peer bool   // the peer said it records
	err  string // why the last start or stop failed
}

// recordingIndicators are "Recording" for this side and "NAME is
// recording" for the peer, both hidden until they apply.
func recordingIndicators(peer string) (mine, theirs *fyne.Container) {
	mine = indicator(theme.MediaRecordIcon(), lang.L(recordingLabel))
	theirs = indicator(theme.MediaRecordIcon(), lang.L("{{.Name}} is recording", args{"Name": displayName(peer)}))
	return mine, theirs
}

// updateRecording shows ac's recording and reports whether an indicator
// appeared or went. UI thread.
func (s *callScreen) updateRecording(ac *activeCall) bool {
	live := ac.session != nil
	changed := setVisible(s.recording, live && (ac.rec.on || ac.rec.err != ""))
	changed = setVisible(s.peerRec, live && ac.rec.peer) || changed
	caption := lang.L(recordingLabel)
	if ac.rec.err != "" && !ac.rec.on {
		caption = ac.rec.err
	}
	if t := s.recording.Objects[1].(*canvas.Text); t.Text != caption {
		t.Text = caption
		t.Refresh()
		changed = true
	}
	if ac.rec.on {
		setButton(s.record, lang.L(stopRecordLabel), theme.MediaStopIcon())
	} else {
		setButton(s.record, lang.L(recordLabel), theme.MediaRecordIcon())
	}
	setEnabled(s.record, live && !ac.rec.busy)
	return changed
}

// toggleRecording starts or stops recording the call (button callback):
// the files are opened and closed off the UI thread.
func (u *ui) toggleRecording() {
	ac := u.call
	if ac == nil || ac.session == nil || ac.rec.busy {
		return
	}
	s, on := ac.session, !ac.rec.on
	dir, name := u.recordDir(), recordingName(ac.peer, ac.cid, time.Now())
	ac.rec.busy = true
	u.refreshCall()
	u.goBG(func(context.Context) {
		var err error
		if on {
			err = s.StartRecording(dir, name)
		} else {
			_, err = s.StopRecording() // the session logs the files
		}
		if err != nil {
			u.log.Warn("recording", "on", on, "dir", dir, "err", err)
		}
		u.post(func() {
			ac.rec.busy = false
			ac.rec.err = ""
			switch {
			case on && err != nil:
				ac.rec.err = lang.L("Cannot record: {{.Err}} — check the folder, or choose another with --record-dir", args{"Err": err})
			case on:
				ac.rec.on = true
			default:
				// Stopped, or the call's media ended it already.
				ac.rec.on = false
			}
			u.refreshCall()
		})
	})
}

// recordDir is where recordings go: Config.RecordDir (main sets it beside
// the log), or Fyne's storage for the app.
func (u *ui) recordDir() string {
	if u.cfg.RecordDir != "" {
		return u.cfg.RecordDir
	}
	if root := u.app.Storage().RootURI(); root != nil && root.Scheme() == "file" {
		return filepath.Join(root.Path(), "recordings")
	}
	return "Duet recordings" // no data folder: the working directory
}

// recordingName names a recording by when it began, with whom, and the
// call; a second recording of a call a second later gets its own name.
func recordingName(peer, cid string, at time.Time) string {
	safe := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, peer)
	return fmt.Sprintf("%s-%s-%s", at.Format("20060102-150405"), safe, cid)
}
