package gui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"duet/call/proto"
)

// Record on the call screen records the call into the recordings folder
// and shows "Recording" here; the peer's screen shows "alice is
// recording" until alice stops, and both go when she does.
func TestRecordShowsOnBothSides(t *testing.T) {
	r := newRig(t)
	dir := t.TempDir()
	alice, bob := r.aliceAndBob(func(u *ui) { u.cfg.RecordDir = dir })
	alice.callDesk(bob, proto.CallTypeVideo)
	onUI(func() {
		for _, a := range []*desk{alice, bob} {
			v := a.u.callView
			if v.recording.Visible() || v.peerRec.Visible() || v.record.Text != recordLabel {
				t.Errorf("%s shows a recording before anyone records", a.u.call.peer)
			}
		}
	})

	// A folder that cannot be made says so, and Record can be tried again.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	onUI(func() { alice.u.cfg.RecordDir = filepath.Join(blocker, "recordings") })
	alice.tap(func() *widget.Button { return alice.u.callView.record })
	alice.waitFor("cannot record", func() bool {
		v := alice.u.callView
		return v.recording.Visible() && strings.HasPrefix(v.recording.Objects[1].(*canvas.Text).Text, "Cannot record:") &&
			v.record.Text == recordLabel && !v.record.Disabled()
	})
	onUI(func() {
		if bob.u.callView.peerRec.Visible() {
			t.Error("bob told of a recording that never started")
		}
		alice.u.cfg.RecordDir = dir
	})

	alice.tap(func() *widget.Button { return alice.u.callView.record })
	alice.waitFor("recording indicator", func() bool {
		v := alice.u.callView
		return v.recording.Visible() && v.recording.Objects[1].(*canvas.Text).Text == recordingLabel &&
			v.record.Text == stopRecordLabel && !v.record.Disabled()
	})
	bob.waitFor("alice is recording", func() bool { return bob.u.callView.peerRec.Visible() })
	onUI(func() {
		if got := bob.u.callView.peerRec.Objects[1].(*canvas.Text).Text; got != "alice is recording" {
			t.Errorf("bob's indicator reads %q", got)
		}
		if alice.u.callView.peerRec.Visible() || bob.u.callView.recording.Visible() {
			t.Error("an indicator shows on the wrong side")
		}
	})
	// Until the files hold a key frame and some audio: a recording that
	// starts mid-call waits for the sender's next key frame.
	alice.waitFor("frames recorded", func() bool {
		for _, ext := range []string{".ivf", ".ogg"} {
			files, _ := filepath.Glob(filepath.Join(dir, "*-bob-*"+ext))
			if len(files) != 1 {
				return false
			}
			if st, err := os.Stat(files[0]); err != nil || st.Size() < 1000 {
				return false
			}
		}
		return true
	})

	alice.tap(func() *widget.Button { return alice.u.callView.record })
	alice.waitFor("recording stopped", func() bool {
		v := alice.u.callView
		return !v.recording.Visible() && v.record.Text == recordLabel && !v.record.Disabled()
	})
	bob.waitFor("alice stopped recording", func() bool { return !bob.u.callView.peerRec.Visible() })

	files, err := filepath.Glob(filepath.Join(dir, "*-bob-*"))
	if err != nil || len(files) != 2 {
		t.Fatalf("recordings %v %v, want an .ivf and an .ogg", files, err)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil || st.Size() < 1000 || !(strings.HasSuffix(f, ".ivf") || strings.HasSuffix(f, ".ogg")) {
			t.Errorf("%s: %v %v", f, st, err)
		}
	}
	alice.tap(func() *widget.Button { return alice.u.callView.hangup })
	for _, a := range []*desk{alice, bob} {
		a.waitFor("back at contacts", func() bool { return a.u.call == nil })
	}
}

func TestRecordingName(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 4, 5, 0, time.UTC)
	if got := recordingName("a/b", "cid1", at); got != "20261202-100405-a_b-cid1" {
		t.Fatalf("name %q", got)
	}
}
