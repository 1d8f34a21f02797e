package devices

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/pion/mediadevices/pkg/driver/availability"
)

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{
		KindUnknown: "unknown", KindCamera: "camera", KindMicrophone: "microphone", KindSpeaker: "speaker", Kind(42): "unknown",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		kind Kind
		err  error
		want error
	}{
		{KindCamera, syscall.EBUSY, ErrDeviceBusy},
		{KindCamera, fmt.Errorf("open /dev/video0: %w", syscall.EBUSY), ErrDeviceBusy},
		{KindCamera, availability.ErrBusy, ErrDeviceBusy},
		{KindCamera, errors.New("invalid state: driver is already opened"), ErrDeviceBusy},
		{KindMicrophone, errors.New("invalid state: driver is already running"), ErrDeviceBusy},
		{KindCamera, syscall.EACCES, ErrPermissionDenied},
		{KindMicrophone, errors.New("ALSA: Permission denied"), ErrPermissionDenied},
		{KindCamera, syscall.ENODEV, ErrNoCamera},
		{KindMicrophone, syscall.ENOENT, ErrNoMicrophone},
		{KindCamera, availability.ErrNoDevice, ErrNoCamera},
		{KindCamera, errors.New("failed to find the best driver that fits the constraints"), ErrNoCamera},
		{KindMicrophone, errors.New("failed to find the best driver that fits the constraints"), ErrNoMicrophone},
		{KindCamera, errors.New("read timeout"), ErrDeviceFailed},
	}
	for _, tt := range tests {
		if got := classify(tt.kind, tt.err); got != tt.want {
			t.Errorf("classify(%v, %q) = %v, want %v", tt.kind, tt.err, got, tt.want)
		}
	}
}

func TestDeviceErrorMessageAndMatching(t *testing.T) {
	cause := fmt.Errorf("VIDIOC_S_FMT: %w", syscall.EBUSY)
	err := error(deviceError("open", KindCamera, "cam-1", nil, cause))
	if !errors.Is(err, ErrDeviceBusy) || !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("%v does not match ErrDeviceBusy and EBUSY", err)
	}
	if errors.Is(err, ErrNoCamera) {
		t.Fatal("busy error matches ErrNoCamera")
	}
	var de *DeviceError
	if !errors.As(fmt.Errorf("wrapped: %w", err), &de) || de.Kind != KindCamera {
		t.Fatal("errors.As(*DeviceError) failed")
	}
	if got, want := de.UserMessage(), "camera busy — close other apps or pick another camera in Settings"; got != want {
		t.Errorf("UserMessage = %q, want %q", got, want)
	}
	mustContain(t, err.Error(), `open camera "cam-1"`)
	mustContain(t, err.Error(), "device or resource busy")

	for reason, want := range map[error]string{
		ErrBadFile:          `cannot play "" as the microphone — give a readable .wav file of 16-bit PCM, mono or stereo (ffmpeg -i IN -c:a pcm_s16le OUT.wav makes one)`,
		ErrNoMicrophone:     "no microphone found — connect one or pick another microphone in Settings",
		ErrPermissionDenied: `microphone access denied — allow access (on Linux: add your user to the "audio" group) or pick another microphone in Settings`,
		ErrDeviceFailed:     "microphone failed to start — unplug and replug it or pick another microphone in Settings",
		ErrInvalidConfig:    "microphone settings not supported — pick another size or frame rate in Settings",
	} {
		e := &DeviceError{Op: "open", Kind: KindMicrophone, Reason: reason}
		if got := e.UserMessage(); got != want {
			t.Errorf("UserMessage(%v) = %q, want %q", reason, got, want)
		}
		if !errors.Is(e, reason) {
			t.Errorf("%v does not match its reason", e)
		}
	}
	sp := &DeviceError{Op: "open", Kind: KindSpeaker, Reason: ErrNoSpeaker}
	mustContain(t, sp.Error(), "the call continues without sound")
}
