package devices

// The real capture drivers register themselves with mediadevices in init():
// the camera driver scans /dev/video*, the microphone driver starts a malgo
// context and registers every capture device it finds. Building with the
// "nomicrophone" tag replaces the latter with an empty stub, so this file
// needs no build tag of its own.
import (
	_ "github.com/pion/mediadevices/pkg/driver/camera"
	_ "github.com/pion/mediadevices/pkg/driver/microphone"
)
