package media

import (
	"fmt"

	"duet/devices"
)

// DeviceFellBack reports a camera, microphone or speaker that went away
// during the call (unplugged) and what the call uses instead: the system
// default, another camera, or — when Fallback.Err is set — nothing.
type DeviceFellBack struct {
	devices.Fallback
}

func (DeviceFellBack) mediaEvent() {}

func (e DeviceFellBack) String() string {
	return fmt.Sprintf("%s %q unplugged, now %q (err %v)", e.Kind, e.Lost, e.Now.ID, e.Err)
}

// reportFallbacks turns the capture's device fallbacks into events.
func (s *Session) reportFallbacks() {
	if s.capture != nil {
		s.capture.OnFallback(func(fb devices.Fallback) { s.emit(DeviceFellBack{fb}) })
	}
}

// watchSpeaker moves the call's sound to the system default speaker when
// the one playing it goes away, and says so. It runs from Start to Close.
// A default speaker lost twice in a row is given up: the call goes on
// without sound rather than reopening one that plays nothing.
func (s *Session) watchSpeaker() {
	defer s.wg.Done()
	defaultLost := 0
	for {
		s.mu.Lock()
		pb := s.playback
		s.mu.Unlock()
		if pb == nil {
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-s.speakerSwitched:
			continue
		case <-pb.Lost():
		}
		fb := devices.Fallback{Kind: devices.KindSpeaker, Lost: pb.SpeakerID()}
		if fb.Lost == "" {
			defaultLost++
		} else {
			defaultLost = 0
		}
		if defaultLost > 1 {
			fb.Err = fmt.Errorf("speaker lost: %w", devices.ErrNoSpeaker)
		} else if err := s.replacePlayback(pb, ""); err != nil {
			fb.Err = err
		} else {
			fb.Now = defaultSpeaker()
		}
		s.log.Warn("speaker unplugged", "lost", fb.Lost, "now", fb.Now.Label, "err", fb.Err)
		s.emit(DeviceFellBack{fb})
		if fb.Err != nil {
			return
		}
	}
}

// defaultSpeaker is the system's default speaker as listed, for naming it.
func defaultSpeaker() devices.Device {
	inv, _ := devices.List()
	for _, d := range inv.Speakers {
		if d.Default {
			return d
		}
	}
	return devices.Device{Kind: devices.KindSpeaker, Label: "the system default"}
}
