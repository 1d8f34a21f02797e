package devices

// The camera driver registers itself with mediadevices in init(), scanning
// /dev/video*. Microphones are not mediadevices drivers: they are opened
// through malgo directly (microphone.go), so that one plugged in, or a
// sound server started, after this process started can be listed and used.
import (
	_ "github.com/pion/mediadevices/pkg/driver/camera"
)
