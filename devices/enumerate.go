package devices

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gen2brain/malgo"
	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/driver/camera"
)

// IDs that select the synthetic sources instead of a real device. They never
// appear in List; a GUI may offer them explicitly (see SyntheticCameras).
const (
	// SyntheticCameraID is TestPattern: flat colour bars, cheap to encode.
	SyntheticCameraID = "synthetic:test-pattern"
	// SyntheticSceneCameraID is Scene: a detailed, moving, noisy picture
	// that loads the encoder like a real webcam.
	SyntheticSceneCameraID = "synthetic:scene"
	SyntheticMicrophoneID  = "synthetic:tone"
)

// SyntheticCameras returns the synthetic cameras, to offer next to the real
// ones from List: the detailed scene first, then the test pattern.
func SyntheticCameras() []Device {
	return []Device{
		{ID: SyntheticSceneCameraID, Label: "Synthetic scene (detailed)", Kind: KindCamera},
		{ID: SyntheticCameraID, Label: "Synthetic test pattern (colour bars)", Kind: KindCamera},
	}
}

// alsaNullID is malgo's ID (hex of "null") for ALSA's "null" PCM, which
// discards playback and records silence. ALSA lists it even on machines
// without a sound card, so it is not a device a user would want.
const alsaNullID = "6e756c6c"

// Device is one camera, microphone or speaker.
type Device struct {
	// ID is what CaptureConfig.CameraID, CaptureConfig.MicrophoneID and
	// OpenPlayback take. Camera IDs are the V4L2 name and node; microphone
	// and speaker IDs are the sound system's own. Both stay valid across
	// restarts while the device stays plugged in where it was.
	ID string
	// Label is a human-readable name.
	Label string
	Kind  Kind
	// Default is true for the device the system prefers.
	Default bool
}

// Inventory is the result of List, each slice sorted default first, then by label.
type Inventory struct {
	Cameras     []Device
	Microphones []Device
	Speakers    []Device
}

// List returns the cameras, microphones and speakers on this machine. A
// machine without devices yields empty lists and a nil error; an error means
// the sound system itself could not be queried, and Cameras is still filled
// in. Microphones and speakers are asked of the sound system on every call,
// so one plugged in (or a sound server started) since the last call is
// there; cameras are scanned again when a V4L2 node appeared or went,
// during a call too. List is safe for concurrent use.
func List() (Inventory, error) {
	rescanCameras()
	inv := Inventory{Cameras: listCaptureDrivers(driver.FilterVideoRecorder(), KindCamera)}
	var err error
	inv.Microphones, inv.Speakers, err = listSound()
	if err != nil {
		return inv, fmt.Errorf("list sound devices: %w", err)
	}
	return inv, nil
}

func listCaptureDrivers(filter driver.FilterFn, kind Kind) []Device {
	notScreen := driver.FilterNot(driver.FilterDeviceType(driver.Screen))
	drivers := driver.GetManager().Query(driver.FilterAnd(filter, notScreen))
	out := make([]Device, 0, len(drivers))
	for _, d := range drivers {
		info := d.Info()
		out = append(out, Device{
			ID:      cameraID(d),
			Label:   driverLabel(kind, info),
			Kind:    kind,
			Default: info.Priority > driver.PriorityNormal,
		})
	}
	sortDevices(out)
	return out
}

// driverLabel picks the most readable name mediadevices knows. Camera names
// come as "name;bus" and labels as "video0;video0".
func driverLabel(kind Kind, info driver.Info) string {
	name, _, _ := strings.Cut(info.Name, camera.LabelSeparator)
	label, _, _ := strings.Cut(info.Label, camera.LabelSeparator)
	switch {
	case kind == KindCamera && name != "" && label != "":
		return name + " (" + label + ")"
	case name != "":
		return name
	case label != "":
		return label
	default:
		return kind.String()
	}
}

// listSound asks the sound system for its microphones and speakers, with
// a malgo context made for the purpose: one made earlier would not see a
// device or a sound server that came later.
func listSound() (mics, speakers []Device, err error) {
	mctx, err := malgo.InitContext(nil, malgo.ContextConfig{}, nil)
	if err != nil {
		// No sound system at all: nothing to list, and nothing the user must fix.
		return []Device{}, []Device{}, nil
	}
	defer func() {
		_ = mctx.Uninit()
		mctx.Free()
	}()
	mics, micErr := listMalgo(mctx, malgo.Capture, KindMicrophone)
	speakers, speakerErr := listMalgo(mctx, malgo.Playback, KindSpeaker)
	return mics, speakers, errors.Join(micErr, speakerErr)
}

func listMalgo(mctx *malgo.AllocatedContext, typ malgo.DeviceType, kind Kind) ([]Device, error) {
	infos, err := mctx.Devices(typ)
	if err != nil {
		return []Device{}, fmt.Errorf("query %s devices: %w", kind, err)
	}
	out := make([]Device, 0, len(infos))
	for _, info := range infos {
		id := info.ID.String()
		if id == alsaNullID {
			continue
		}
		out = append(out, Device{ID: id, Label: info.Name(), Kind: kind, Default: info.IsDefault != 0})
	}
	sortDevices(out)
	return out, nil
}

func sortDevices(ds []Device) {
	slices.SortFunc(ds, func(a, b Device) int {
		if a.Default != b.Default {
			if a.Default {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Label, b.Label), cmp.Compare(a.ID, b.ID))
	})
}
