package gui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2/lang"

	"duet/call/media"
	"duet/devices"
)

// deviceSwitchTimeout bounds how long a device may take to open.
const deviceSwitchTimeout = 10 * time.Second

// switchDevices moves a call in progress to the camera, microphone and
// speaker just chosen in Settings (from prev to now), in the background;
// the call goes on with the old device if a new one cannot be opened, and
// says so. UI thread.
func (u *ui) switchDevices(prev, now Settings) {
	ac := u.call
	if ac == nil || ac.session == nil || ac.phase == phaseEnded {
		return
	}
	s, cid := ac.session, ac.cid
	own := !now.Synthetic
	var switches []func(context.Context) (devices.Kind, error)
	if own && now.CameraID != prev.CameraID && ac.video() && u.cfg.VideoFile == "" {
		switches = append(switches, func(ctx context.Context) (devices.Kind, error) {
			return devices.KindCamera, s.SwitchCamera(ctx, now.CameraID)
		})
	}
	if own && now.MicrophoneID != prev.MicrophoneID && u.cfg.AudioFile == "" {
		switches = append(switches, func(ctx context.Context) (devices.Kind, error) {
			return devices.KindMicrophone, s.SwitchMicrophone(ctx, now.MicrophoneID)
		})
	}
	if now.SpeakerID != prev.SpeakerID {
		switches = append(switches, func(context.Context) (devices.Kind, error) {
			return devices.KindSpeaker, s.SwitchSpeaker(now.SpeakerID)
		})
	}
	if len(switches) == 0 {
		return
	}
	u.goBG(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, deviceSwitchTimeout)
		defer cancel()
		for _, switchOne := range switches {
			what, err := switchOne(ctx)
			if err == nil {
				continue
			}
			u.log.Warn("device switch failed", "cid", cid, "device", what, "err", err)
			u.post(func() {
				if u.current(cid) != nil {
					u.notice(switchFailed(what, err))
				}
			})
		}
	})
}

// switchFailed says what a failed switch leaves the call with.
func switchFailed(what devices.Kind, err error) string {
	if what == devices.KindSpeaker && errors.Is(err, media.ErrNoPlayback) {
		return lang.L("This call plays no sound here, so the speaker takes effect from the next call")
	}
	e := args{"Err": err}
	switch what {
	case devices.KindCamera:
		return lang.L("The camera could not be switched; the call goes on with the previous one: {{.Err}}", e)
	case devices.KindMicrophone:
		return lang.L("The microphone could not be switched; the call goes on with the previous one: {{.Err}}", e)
	}
	return lang.L("The speaker could not be switched; the call goes on with the previous one: {{.Err}}", e)
}
