package devices

// Kind says what a device does. The zero value is KindUnknown.
type Kind int

// Device kinds.
const (
	KindUnknown Kind = iota
	KindCamera
	KindMicrophone
	KindSpeaker
	KindScreen
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
	case KindScreen:
		return "screen"
	default:
		return "unknown"
	}
}
