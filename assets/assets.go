// Package assets embeds Duet's icon and sounds. It holds data only.
package assets

import _ "embed"

// IconPNG is the 512×512 application icon.
//
//go:embed icon.png
var IconPNG []byte

// RingtoneWAV is the incoming-call ring: about 2 s of 16-bit mono PCM at
// 48 kHz in a WAV container, meant to be looped.
//
//go:embed ringtone.wav
var RingtoneWAV []byte
