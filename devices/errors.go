package devices

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/pion/mediadevices/pkg/driver/availability"
)

// Sentinel errors. Match them with errors.Is; the errors returned by this
// package wrap them together with the operation and the underlying cause.
var (
	// ErrNoCamera means the requested camera does not exist (or none exists).
	ErrNoCamera = errors.New("no camera found")
	// ErrNoMicrophone means the requested microphone does not exist (or none exists).
	ErrNoMicrophone = errors.New("no microphone found")
	// ErrNoSpeaker means no playback device could be opened, whatever the
	// cause (missing, busy, headless). Callers continue the call without sound.
	ErrNoSpeaker = errors.New("no speaker found")
	// ErrDeviceBusy means another program (or another call in this one) holds
	// the device.
	ErrDeviceBusy = errors.New("device busy")
	// ErrPermissionDenied means the operating system refused access.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrDeviceFailed means the device exists but could not be started for a
	// reason not covered above.
	ErrDeviceFailed = errors.New("device failed to start")
	// ErrNothingRequested means a CaptureConfig asked for neither audio nor video.
	ErrNothingRequested = errors.New("capture config requests neither audio nor video")
	// ErrInvalidConfig means a parameter is out of range.
	ErrInvalidConfig = errors.New("invalid config")
	// ErrBadFile means a file meant to stand in for the camera or the
	// microphone (CaptureConfig.VideoFile, AudioFile) is missing,
	// unreadable or not in a format Duet plays.
	ErrBadFile = errors.New("media file unusable")
	// ErrNoAudioProcessing means the audio processing module (echo
	// cancellation, noise suppression, gain control) could not start: the
	// microphone's audio goes out unprocessed. A Capture warning.
	ErrNoAudioProcessing = errors.New("no echo cancellation or noise suppression: the microphone is sent unprocessed")
	// ErrDeviceLost means a device in use went away (unplugged, or removed
	// from the sound server): it stopped delivering and is no longer listed.
	ErrDeviceLost = errors.New("device unplugged")
	// ErrClosed is returned by methods called after Close.
	ErrClosed = errors.New("closed")
	// ErrEmptyFrame means an encoded frame or packet had no bytes.
	ErrEmptyFrame = errors.New("empty frame")
	// ErrFrameTooLarge means an encoded VP8 frame is bigger than the decoder
	// accepts (in bytes or in declared picture size).
	ErrFrameTooLarge = errors.New("frame too large")
	// ErrNoPicture means the decoder consumed a frame that produced no picture
	// (for example a hidden VP8 frame). It is not a decode failure.
	ErrNoPicture = errors.New("frame produced no picture")
	// ErrDecode means the decoder rejected the input; for video the caller
	// should request a key frame (PLI).
	ErrDecode = errors.New("decode failed")
)

// DeviceError describes why a device could not be used, in words a user can
// act on. It matches (errors.Is) its Reason — one of ErrNoCamera,
// ErrNoMicrophone, ErrNoSpeaker, ErrDeviceBusy, ErrPermissionDenied,
// ErrInvalidConfig, ErrBadFile or ErrDeviceFailed — and its underlying
// cause.
type DeviceError struct {
	Op       string // what was attempted, e.g. "open"
	Kind     Kind   // camera, microphone or speaker
	DeviceID string // empty for "the default device"; the path for ErrBadFile
	Reason   error  // a sentinel from this file
	Err      error  // underlying cause; may be nil
}

// UserMessage is a short sentence for a dialog: what happened and what to do.
func (e *DeviceError) UserMessage() string {
	k := e.Kind.String()
	switch e.Reason {
	case ErrNoCamera, ErrNoMicrophone:
		return fmt.Sprintf("no %s found — connect one or pick another %s in Settings", k, k)
	case ErrNoSpeaker:
		return "cannot play sound — connect headphones or speakers, or pick another output in Settings; the call continues without sound"
	case ErrDeviceBusy:
		return fmt.Sprintf("%s busy — close other apps or pick another %s in Settings", k, k)
	case ErrInvalidConfig:
		return fmt.Sprintf("%s settings not supported — pick another size or frame rate in Settings", k)
	case ErrBadFile:
		if e.Kind == KindCamera {
			return fmt.Sprintf("cannot play %q as the camera — give a readable .y4m file of 8-bit 4:2:0 video "+
				"(ffmpeg -i IN -pix_fmt yuv420p OUT.y4m makes one)", e.DeviceID)
		}
		return fmt.Sprintf("cannot play %q as the microphone — give a readable .wav file of 16-bit PCM, mono or stereo "+
			"(ffmpeg -i IN -c:a pcm_s16le OUT.wav makes one)", e.DeviceID)
	case ErrPermissionDenied:
		return fmt.Sprintf("%s access denied — allow access (on Linux: add your user to the %q group) or pick another %s in Settings",
			k, permissionGroup(e.Kind), k)
	default:
		return fmt.Sprintf("%s failed to start — unplug and replug it or pick another %s in Settings", k, k)
	}
}

func (e *DeviceError) Error() string {
	var b strings.Builder
	b.WriteString(e.UserMessage())
	b.WriteString(" (")
	b.WriteString(e.Op)
	b.WriteByte(' ')
	b.WriteString(e.Kind.String())
	if e.DeviceID != "" {
		fmt.Fprintf(&b, " %q", e.DeviceID)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	b.WriteByte(')')
	return b.String()
}

// Unwrap exposes both the reason sentinel and the cause to errors.Is/As.
func (e *DeviceError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

func permissionGroup(k Kind) string {
	if k == KindCamera {
		return "video"
	}
	return "audio"
}

// notFound returns the "missing device" sentinel for a kind.
func notFound(k Kind) error {
	switch k {
	case KindCamera:
		return ErrNoCamera
	case KindMicrophone:
		return ErrNoMicrophone
	default:
		return ErrNoSpeaker
	}
}

// classify maps an error from a driver (v4l2 errno, mediadevices or malgo
// message) to one of the reason sentinels. Drivers rarely wrap errors, so
// after errors.Is checks it falls back to well-known message fragments.
func classify(k Kind, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EBUSY:
			return ErrDeviceBusy
		case syscall.EACCES, syscall.EPERM:
			return ErrPermissionDenied
		case syscall.ENODEV, syscall.ENOENT, syscall.ENXIO:
			return notFound(k)
		}
	}
	switch {
	case errors.Is(err, availability.ErrBusy):
		return ErrDeviceBusy
	case errors.Is(err, availability.ErrNoDevice):
		return notFound(k)
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "busy"),
		// mediadevices' driver state machine: the device is already open in this process.
		strings.Contains(msg, "already opened"),
		strings.Contains(msg, "already running"):
		return ErrDeviceBusy
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "access denied"):
		return ErrPermissionDenied
	case strings.Contains(msg, "failed to find the best driver"),
		strings.Contains(msg, "no such device"),
		strings.Contains(msg, "no such file"):
		return notFound(k)
	}
	return ErrDeviceFailed
}

// deviceError builds a DeviceError, classifying the cause when reason is nil.
func deviceError(op string, k Kind, id string, reason, cause error) *DeviceError {
	if reason == nil {
		reason = classify(k, cause)
	}
	return &DeviceError{Op: op, Kind: k, DeviceID: id, Reason: reason, Err: cause}
}
