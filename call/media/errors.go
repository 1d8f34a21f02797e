package media

import "errors"

// ErrNoVideoSent: the call sends no video (an audio call, or no camera
// opened), so there is no camera to switch.
var ErrNoVideoSent = errors.New("this call sends no video")
