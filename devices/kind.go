package devices

// Kind says what a device does. The zero value is KindUnknown.
type Kind int

// Device kinds.
const (
	KindUnknown Kind = iota
	KindCamera
	KindMicrophone
	KindSpeaker
)

// String returns the lower-case name used in logs and user messages.
func (k Kind) String() string {
	switch k {
	case KindCamera:
		return "camera"
	case KindMicrophone:
		return "microphone"
	case KindSpeaker:
		return "speaker"
	default:
		return "unknown"
	}
}
