package gui

import (
	"errors"
	"sync"

	"fyne.io/fyne/v2/lang"

	"duet/call/media"
	"duet/devices"
)

// captureOutcome is how opening the devices for the latest call went. The
// phone opens them on its own goroutine (openCapture) and, when nothing
// opens, goes on receiving only: the error is kept here for the call
// screen to say why. Safe for concurrent use.
type captureOutcome struct {
	mu  sync.Mutex
	err error // guarded by mu; nil when the last open succeeded
}

func (c *captureOutcome) set(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
}

func (c *captureOutcome) get() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// mediaGaps is what a call goes without, and why.
type mediaGaps struct {
	mic, camera, speaker bool
	// unprocessed: echo cancellation and noise suppression did not start.
	unprocessed bool
	// micWhy and cameraWhy are the devices package's reason (ErrDeviceBusy,
	// …); nil when not known, which reads as "not found".
	micWhy, cameraWhy error
	// synthetic: the test pattern and tone stand in for missing devices.
	synthetic bool
}

// findGaps works out what a call lacks: whether it wants video, which of
// the microphone and camera tracks it has, and the errors from opening the
// devices and the speaker.
func findGaps(wantVideo, haveMic, haveCamera bool, errs []error) mediaGaps {
	g := mediaGaps{mic: !haveMic, camera: wantVideo && !haveCamera}
	if g.mic {
		g.micWhy = deviceReason(errs, devices.KindMicrophone)
	}
	if g.camera {
		g.cameraWhy = deviceReason(errs, devices.KindCamera)
	}
	for _, err := range errs {
		if errors.Is(err, devices.ErrNoSpeaker) {
			g.speaker = true
		}
		if errors.Is(err, devices.ErrNoAudioProcessing) && haveMic {
			g.unprocessed = true
		}
	}
	return g
}

// deviceReason is the reason of the first device error of kind in errs.
func deviceReason(errs []error, kind devices.Kind) error {
	for _, err := range errs {
		if de := deviceErrorOf(err, kind); de != nil {
			return de.Reason
		}
	}
	return nil
}

// deviceErrorOf finds the *devices.DeviceError about kind in err's tree
// (devices.Open joins one per device that failed).
func deviceErrorOf(err error, kind devices.Kind) *devices.DeviceError {
	if err == nil {
		return nil
	}
	if de, ok := err.(*devices.DeviceError); ok && de.Kind == kind {
		return de
	}
	switch x := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range x.Unwrap() {
			if de := deviceErrorOf(e, kind); de != nil {
				return de
			}
		}
	case interface{ Unwrap() error }:
		return deviceErrorOf(x.Unwrap(), kind)
	}
	return nil
}

// Texts of the call screen's gap lines and of the controls they disable.
const (
	noMicLabel      = "No microphone"
	noCameraLabel   = "No camera"
	noSpeakerLine   = "No speaker — you cannot hear the other side"
	syntheticInCall = "No camera or microphone — sending a test pattern and tone"
	unprocessedLine = "No echo cancellation — use headphones, or the other side may hear itself"
)

// lines are the call screen's lines about what the call goes without.
func (g mediaGaps) lines() []string {
	var out []string
	if g.mic {
		out = append(out, lang.L("{{.Device}} — the other side cannot hear you", args{"Device": devicePhrase(devices.KindMicrophone, g.micWhy)}))
	}
	if g.camera {
		out = append(out, lang.L("{{.Device}} — sending no video", args{"Device": devicePhrase(devices.KindCamera, g.cameraWhy)}))
	}
	if g.speaker {
		out = append(out, lang.L(noSpeakerLine))
	}
	if g.unprocessed {
		out = append(out, lang.L(unprocessedLine))
	}
	return out
}

// devicePhrase says in two or three words what is wrong with a device.
func devicePhrase(kind devices.Kind, why error) string {
	camera := kind == devices.KindCamera
	switch why {
	case devices.ErrDeviceBusy:
		if camera {
			return lang.L("Camera busy")
		}
		return lang.L("Microphone busy")
	case devices.ErrPermissionDenied:
		if camera {
			return lang.L("Camera access denied")
		}
		return lang.L("Microphone access denied")
	case nil, devices.ErrNoCamera, devices.ErrNoMicrophone:
		if camera {
			return lang.L(noCameraLabel)
		}
		return lang.L(noMicLabel)
	}
	if camera {
		return lang.L("Camera failed to start")
	}
	return lang.L("Microphone failed to start")
}

// gapsOf is what the call ac, whose media just started, goes without.
// UI thread.
func (u *ui) gapsOf(ac *activeCall, s *media.Session) mediaGaps {
	var haveMic, haveCamera bool
	errs := s.Warnings()
	if c := s.Capture(); c != nil {
		haveMic, haveCamera = c.AudioTrack() != nil, c.VideoTrack() != nil
	} else if err := u.captured.get(); err != nil {
		errs = append(errs, err)
	}
	g := findGaps(ac.video(), haveMic, haveCamera, errs)
	g.synthetic = u.autoSynthetic && u.settings.get().Synthetic && haveMic
	return g
}
