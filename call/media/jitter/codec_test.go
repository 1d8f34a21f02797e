package jitter

import (
	"encoding/binary"
	"errors"
)

// pcmCodec is the tests' codec. A payload is a 2-byte little-endian
// sample count n, n samples of raw little-endian PCM, then optionally the
// previous frame's samples as FEC. Concealment repeats the last decoded
// frame, as a crude PLC would; it keeps a tone's frequency.
type pcmCodec struct {
	last    []int16 // last decoded frame
	lastLen int
	pos     int // where concealment continues in last

	decodes, fecs, conceals int
}

var errBadPayload = errors.New("bad pcm payload")

func newPCMCodec() *pcmCodec { return &pcmCodec{last: make([]int16, 48000*120/1000)} }

// encodePCM builds a payload from frame, with prev as its FEC if not nil.
func encodePCM(frame, prev []int16) []byte {
	p := binary.LittleEndian.AppendUint16(nil, uint16(len(frame)))
	for _, v := range frame {
		p = binary.LittleEndian.AppendUint16(p, uint16(v))
	}
	for _, v := range prev {
		p = binary.LittleEndian.AppendUint16(p, uint16(v))
	}
	return p
}

// parsePCM splits a payload into its frame and FEC sample counts.
func parsePCM(p []byte) (n, fec int, err error) {
	if len(p) < 2 {
		return 0, 0, errBadPayload
	}
	n = int(binary.LittleEndian.Uint16(p))
	rest := len(p) - 2 - 2*n
	if n == 0 || rest < 0 || rest%2 != 0 {
		return 0, 0, errBadPayload
	}
	return n, rest / 2, nil
}

func (c *pcmCodec) Decode(p []byte, pcm []int16) (int, error) {
	n, _, err := parsePCM(p)
	if err != nil {
		return 0, err
	}
	if n > len(pcm) || n > len(c.last) {
		return 0, errBadPayload
	}
	for i := range n {
		pcm[i] = int16(binary.LittleEndian.Uint16(p[2+2*i:]))
	}
	c.lastLen = copy(c.last, pcm[:n])
	c.pos = 0
	c.decodes++
	return n, nil
}

func (c *pcmCodec) DecodeFEC(next []byte, pcm []int16) (int, error) {
	n, fec, err := parsePCM(next)
	if err != nil {
		return 0, err
	}
	if fec == 0 {
		return c.Conceal(pcm)
	}
	c.fecs++
	// The FEC frame is the previous one; take its end if pcm is shorter.
	off := 2 + 2*n + 2*max(fec-len(pcm), 0)
	k := min(fec, len(pcm))
	for i := range k {
		pcm[i] = int16(binary.LittleEndian.Uint16(next[off+2*i:]))
	}
	c.Conceal(pcm[k:])
	c.lastLen = copy(c.last, pcm)
	c.pos = 0
	return len(pcm), nil
}

func (c *pcmCodec) Conceal(pcm []int16) (int, error) {
	c.conceals++
	for i := range pcm {
		if c.lastLen == 0 {
			pcm[i] = 0
			continue
		}
		pcm[i] = c.last[c.pos]
		c.pos = (c.pos + 1) % c.lastLen
	}
	return len(pcm), nil
}

func (c *pcmCodec) HasFEC(p []byte) bool {
	_, fec, err := parsePCM(p)
	return err == nil && fec > 0
}

// plainCodec hides pcmCodec's HasFEC, as a decoder without FEC detection.
type plainCodec struct{ c *pcmCodec }

func (p plainCodec) Decode(b []byte, pcm []int16) (int, error)    { return p.c.Decode(b, pcm) }
func (p plainCodec) DecodeFEC(b []byte, pcm []int16) (int, error) { return p.c.DecodeFEC(b, pcm) }
func (p plainCodec) Conceal(pcm []int16) (int, error)             { return p.c.Conceal(pcm) }
