package gui

import (
	"context"
	"time"
)

// cameraSwitchTimeout bounds how long a camera may take to open.
const cameraSwitchTimeout = 10 * time.Second

// switchCamera moves a video call in progress to camera id (the one just
// chosen in Settings) in the background; the call goes on with the old one
// if the new one cannot be opened, and says so. UI thread.
func (u *ui) switchCamera(id string) {
	ac := u.call
	if ac == nil || ac.session == nil || ac.phase == phaseEnded || !ac.video() {
		return
	}
	s, cid := ac.session, ac.cid
	u.goBG(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, cameraSwitchTimeout)
		defer cancel()
		err := s.SwitchCamera(ctx, id)
		if err == nil {
			return
		}
		u.log.Warn("camera switch failed", "cid", cid, "camera", id, "err", err)
		u.post(func() {
			if u.current(cid) != nil {
				u.notice("The camera could not be switched; the call goes on with the previous one: " + err.Error())
			}
		})
	})
}
