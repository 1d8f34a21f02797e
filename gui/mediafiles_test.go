package gui

import (
	"context"
	"errors"
	"sync"
	"testing"

	"duet/call/proto"
	"duet/devices"
)

// recordingDevices remembers what Open was asked for and opens nothing.
type recordingDevices struct {
	mu  sync.Mutex
	cfg devices.CaptureConfig // guarded by mu
}

func (d *recordingDevices) List() (devices.Inventory, error) { return devices.Inventory{}, nil }

func (d *recordingDevices) Open(_ context.Context, cfg devices.CaptureConfig) (*devices.Capture, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cfg = cfg
	return nil, errors.New("recorded")
}

// --video and --audio reach every capture the app opens, over Settings.
func TestOpenCaptureUsesMediaFiles(t *testing.T) {
	r := newRig(t)
	rec := &recordingDevices{}
	a := r.newApp("alice", "alice-desktop", func(u *ui) {
		u.cfg.VideoFile, u.cfg.AudioFile = "/x/in.y4m", "/x/in.wav"
		u.devs = rec
	})
	if _, err := a.u.openCapture(context.Background(), proto.CallTypeVideo); err == nil {
		t.Fatal("recording Open succeeded")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.cfg.VideoFile != "/x/in.y4m" || rec.cfg.AudioFile != "/x/in.wav" || !rec.cfg.Video || !rec.cfg.Audio {
		t.Errorf("opened %+v", rec.cfg)
	}
}
