// Package jitter is an adaptive audio jitter buffer keyed on RTP
// timestamps, built like a small NetEQ: received packets wait undecoded,
// and the playout clock pulls PCM, decoding each packet when playout
// reaches its timestamp. It has no devices, goroutines or WebRTC in it; the
// codec comes in through the small Decoder interface.
//
// # Playout
//
// Push stores a packet; Pull fills exactly the samples asked for. Playout
// follows a timeline in RTP timestamps. The packet at the playout point is
// decoded; when it is missing then, the next packet's FEC recovers it if
// that packet is there, and the decoder conceals it otherwise. A packet
// that comes after its playout time is dropped as late, unless it comes
// while its own concealment plays: then playout steps back to it, and the
// concealment already played becomes extra delay, which is how the buffer
// grows at once when the network's delay does. After 100 ms of concealment
// in a row the output fades, and is silence from 150 ms on.
//
// # Target delay
//
// Each packet's relative arrival delay — its transit time above the
// fastest of the last two seconds — goes into a histogram that forgets
// with a two-second time constant. The jitter is the delay 98 % of packets
// stay within; the target is one packet more, at most MaxDelay. At every
// decode the buffer measures its level (audio decoded and in packets ahead
// of the playout point) and smooths it; above the target by a margin it
// drops one pitch period (2.5–15 ms) from the frame, below three quarters
// of it it repeats one, crossfading over 5 ms either way.
//
// In simulation (20 ms packets, 10 ms pulls) the target is 25 ms on a
// clean link, about 170 ms with delays uniform in 0–150 ms with under
// 0.3 % of the audio concealed, and back below 60 ms some 7 s after the
// jitter stops.
//
// # New streams
//
// A packet far from the stream — timestamps leaping ahead or 2 s back,
// sequence numbers 1000 away — is held aside, and playout starts over
// with it once a second packet confirms it or the old stream runs dry.
// Late packets that keep coming while nothing else does (the peer's clock
// went back) start it over too. Call Reset for a new SSRC.
//
// # Memory
//
// Everything is allocated by New: at most MaxPackets packets of at most
// MaxPayload bytes are held, the oldest dropped beyond that, and Pull does
// not allocate.
package jitter
