package gui

import (
	"slices"
	"time"

	"fyne.io/fyne/v2/lang"

	"duet/call/media"
	"duet/devices"
)

// unpluggedFor is how long the call screen says that a device went away
// and what replaced it. A device that left nothing in its place is said
// for the rest of the call.
const unpluggedFor = 15 * time.Second

// fallbackNotice says which device of the call went away and what the call
// uses now.
func fallbackNotice(fb devices.Fallback) string {
	now := args{"Device": fb.Now.Label}
	switch {
	case fb.Kind == devices.KindCamera && fb.Err != nil:
		return lang.L("Camera unplugged — no other one found, sending no video")
	case fb.Kind == devices.KindCamera:
		return lang.L("Camera unplugged — using {{.Device}}", now)
	case fb.Kind == devices.KindSpeaker && fb.Err != nil:
		return lang.L("Speaker unplugged — no other one found, you cannot hear the other side")
	case fb.Kind == devices.KindSpeaker:
		return lang.L("Speaker unplugged — using {{.Device}}", now)
	case fb.Err != nil:
		return lang.L("Microphone unplugged — no other one found, the other side cannot hear you")
	}
	return lang.L("Microphone unplugged — using {{.Device}}", now)
}

// deviceFellBack shows on the call screen that a device of the call ac
// went away. UI thread; the caller refreshes the call screen.
func (u *ui) deviceFellBack(ac *activeCall, e media.DeviceFellBack) {
	line := fallbackNotice(e.Fallback)
	u.log.Warn("device unplugged during the call", "cid", ac.cid, "kind", e.Kind, "lost", e.Lost, "now", e.Now.ID, "err", e.Err)
	ac.unplugged = append(ac.unplugged, line)
	u.refreshDevices() // Settings without the device gone
	if e.Err != nil {
		return
	}
	u.after(unpluggedFor, func() {
		if i := slices.Index(ac.unplugged, line); i >= 0 {
			ac.unplugged = slices.Delete(ac.unplugged, i, i+1)
			if u.call == ac {
				u.refreshCall()
			}
		}
	})
}
