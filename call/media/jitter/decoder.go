package jitter

// Decoder turns packets into PCM at the buffer's sample rate, mono.
//
// The buffer calls it only from Pull with its mutex held, so a Decoder need
// not be safe for concurrent use. The calls come in playout order, so a
// stateful codec (Opus) sees the stream as if it had arrived clean.
type Decoder interface {
	// Decode decodes one packet into pcm, returning samples per channel.
	Decode(packet []byte, pcm []int16) (int, error)
	// DecodeFEC recovers the frame before next from next's in-band FEC
	// (or conceals it when next has none); len(pcm) is that frame's length.
	DecodeFEC(next []byte, pcm []int16) (int, error)
	// Conceal synthesises len(pcm) samples in place of lost audio. They
	// should continue what was output last, as libopus's PLC does: the
	// buffer crossfades only where decoded audio resumes.
	Conceal(pcm []int16) (int, error)
}

// FECDetector is an optional interface of a Decoder that tells whether a
// packet carries in-band FEC (libopus: opus_packet_has_lbrr). When the
// decoder has it, a frame whose successor carries none is concealed and
// counted as concealed; without it, whatever DecodeFEC returns is counted
// as recovered.
type FECDetector interface {
	HasFEC(packet []byte) bool
}
