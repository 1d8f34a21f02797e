package gui

import (
	"context"
	"errors"
	"time"

	"duet/call/media"
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
	var switches []func(context.Context) (string, error)
	if own && now.CameraID != prev.CameraID && ac.video() && u.cfg.VideoFile == "" {
		switches = append(switches, func(ctx context.Context) (string, error) { return "camera", s.SwitchCamera(ctx, now.CameraID) })
	}
	if own && now.MicrophoneID != prev.MicrophoneID && u.cfg.AudioFile == "" {
		switches = append(switches, func(ctx context.Context) (string, error) {
			return "microphone", s.SwitchMicrophone(ctx, now.MicrophoneID)
		})
	}
	if now.SpeakerID != prev.SpeakerID {
		switches = append(switches, func(context.Context) (string, error) { return "speaker", s.SwitchSpeaker(now.SpeakerID) })
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
func switchFailed(what string, err error) string {
	if what == "speaker" && errors.Is(err, media.ErrNoPlayback) {
		return "This call plays no sound here, so the speaker takes effect from the next call"
	}
	return "The " + what + " could not be switched; the call goes on with the previous one: " + err.Error()
}
