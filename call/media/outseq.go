package media

import (
	"github.com/pion/rtcp"
)

// Outgoing numbering. Probe padding (see probe.go) goes out on the video
// stream itself, as libwebrtc sends it when no retransmission stream is
// negotiated, so it needs sequence numbers of that stream: the pacer
// renumbers the video it sends, and translates the peer's NACKs back to
// the numbers the encoder's packets had, which the NACK responder keeps.
// Padding asked for is sent again under its number: a receiver that does
// not read VP8's picture numbers cannot tell it from a lost piece of the
// next frame, and would hold that frame until it gave up and asked for a
// key frame; Duet's passes over the gap, but asks for it all the same.

// outPacket is what went out under one outgoing sequence number.
type outPacket struct {
	out, orig uint16
	media     bool // false: padding
	used      bool
	stamp     uint32 // padding: the RTP timestamp it went out with
}

// outSeqs is a stream's outgoing numbering. Not safe for concurrent use:
// the pacedStream's mu guards it.
type outSeqs struct {
	started bool
	next    uint16
	byOut   [1024]outPacket
	byOrig  [1024]outPacket
}

// media numbers a first send of the packet the encoder numbered orig.
func (o *outSeqs) media(orig uint16) uint16 {
	if !o.started {
		o.started, o.next = true, orig
	}
	out := o.next
	o.next++
	e := outPacket{out: out, orig: orig, media: true, used: true}
	o.byOut[out%uint16(len(o.byOut))] = e
	o.byOrig[orig%uint16(len(o.byOrig))] = e
	return out
}

// resend is the outgoing number orig went out under, if remembered.
func (o *outSeqs) resend(orig uint16) (uint16, bool) {
	e := o.byOrig[orig%uint16(len(o.byOrig))]
	return e.out, e.used && e.orig == orig
}

// padding numbers a padding packet sent with RTP timestamp stamp; false
// before any media went out.
func (o *outSeqs) padding(stamp uint32) (uint16, bool) {
	if !o.started {
		return 0, false
	}
	out := o.next
	o.next++
	o.byOut[out%uint16(len(o.byOut))] = outPacket{out: out, used: true, stamp: stamp}
	return out, true
}

// sentPadding is the padding that went out as out; false for media and
// for numbers too old to be remembered.
func (o *outSeqs) sentPadding(out uint16) (outPacket, bool) {
	e := o.byOut[out%uint16(len(o.byOut))]
	return e, e.used && !e.media && e.out == out
}

// original is the encoder's number for what went out as out; false for
// padding and for numbers too old to be remembered.
func (o *outSeqs) original(out uint16) (uint16, bool) {
	e := o.byOut[out%uint16(len(o.byOut))]
	return e.orig, e.used && e.media && e.out == out
}

// translateNACK rewrites a NACK's outgoing numbers into the encoder's,
// leaving out what is too old, and padding, which it returns; false when
// nothing is left.
func (o *outSeqs) translateNACK(n *rtcp.TransportLayerNack) (left bool, padding []outPacket) {
	var origs []uint16
	for _, pair := range n.Nacks {
		for _, out := range pair.PacketList() {
			if orig, ok := o.original(out); ok {
				origs = append(origs, orig)
			} else if e, ok := o.sentPadding(out); ok {
				padding = append(padding, e)
			}
		}
	}
	n.Nacks = rtcp.NackPairsFromSequenceNumbers(origs)
	return len(origs) > 0, padding
}
