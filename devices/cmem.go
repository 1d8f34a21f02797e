package devices

// #include <stdlib.h>
import "C"

import "unsafe"

// freeC releases memory malgo allocated with C.CBytes (DeviceID.Pointer).
func freeC(p unsafe.Pointer) {
	if p != nil {
		C.free(p)
	}
}
