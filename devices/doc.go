// Package devices turns cameras, microphones and speakers into things a call
// can use: it lists the devices, opens capture with VP8/Opus encoders attached
// (cameras through pion/mediadevices, microphones through malgo, or synthetic
// sources for QA and tests), decodes received VP8 and Opus, and plays PCM
// through malgo.
//
// Everything here works on a headless machine: listing returns empty lists,
// opening a missing device returns an error matching one of the sentinels in
// errors.go, and the synthetic sources need no hardware at all.
//
// The package never imports fyne; frames and PCM are handed to the caller, who
// decides how to show or play them.
package devices
