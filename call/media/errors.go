package media

import "errors"

// ErrNoVideoSent: the call sends no video (an audio call, or no camera
// opened), so there is no camera to switch.
var ErrNoVideoSent = errors.New("this call sends no video")

// ErrNoPlayback: the call plays no sound here (no speaker could be opened,
// or it was not asked for), so there is no speaker to switch.
var ErrNoPlayback = errors.New("this call plays no sound")

// ErrNoAudioSent: the call sends no sound of a microphone here (no
// microphone opened, or the echo test), so there is none to switch.
var ErrNoAudioSent = errors.New("this call sends no microphone")

// ErrMediaEnded: the call's media session is closed.
var ErrMediaEnded = errors.New("the call's media has ended")

// ErrAlreadyRecording: StartRecording while the call is being recorded.
var ErrAlreadyRecording = errors.New("this call is already being recorded")

// ErrNotRecording: StopRecording while the call is not being recorded.
var ErrNotRecording = errors.New("this call is not being recorded")
