package media

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// vp8Packets splits one frame into n RTP packets starting at seq, as a VP8
// payloader does: a one-byte descriptor with S set on the first.
func vp8Packets(seq uint16, ts uint32, frame byte, n int) []*rtp.Packet {
	out := make([]*rtp.Packet, n)
	for i := range out {
		desc := byte(0x00)
		if i == 0 {
			desc = 0x10
		}
		out[i] = &rtp.Packet{Header: rtp.Header{SequenceNumber: seq + uint16(i), Timestamp: ts, Marker: i == n-1},
			Payload: []byte{desc, frame, byte(i)}}
	}
	return out
}

func wantFrames(t *testing.T, got []assembledFrame, frames ...byte) {
	t.Helper()
	if len(got) != len(frames) {
		t.Fatalf("got %d frames, want %d", len(got), len(frames))
	}
	for i, f := range got {
		if f.data[0] != frames[i] {
			t.Fatalf("frame %d is %d, want %d", i, f.data[0], frames[i])
		}
	}
}

func TestAssemblerReleasesAtMarker(t *testing.T) {
	a := newVP8Assembler(nil)
	now := time.Now()
	pkts := vp8Packets(100, 9000, 1, 3)
	for _, p := range pkts[:2] {
		if got, _ := a.push(p, now); len(got) != 0 {
			t.Fatal("frame released before its last packet")
		}
	}
	got, skipped := a.push(pkts[2], now)
	wantFrames(t, got, 1)
	// Descriptors stripped, payloads joined in sequence order.
	if want := []byte{1, 0, 1, 1, 1, 2}; skipped || !bytes.Equal(got[0].data, want) || got[0].timestamp != 9000 {
		t.Fatalf("frame %v at %d (skipped %t), want %v at 9000", got[0].data, got[0].timestamp, skipped, want)
	}
}

func TestAssemblerReordersAndDropsDuplicates(t *testing.T) {
	a := newVP8Assembler(nil)
	now := time.Now()
	f1, f2 := vp8Packets(65534, 1000, 1, 3), vp8Packets(1, 4000, 2, 2) // wraps around 65535
	var got []assembledFrame
	for _, p := range []*rtp.Packet{f1[0], f1[2], f2[0], f2[1], f1[2], f1[1], f1[1]} {
		fs, skipped := a.push(p, now)
		if skipped {
			t.Fatal("nothing was lost")
		}
		got = append(got, fs...)
	}
	wantFrames(t, got, 1, 2)
	if fs, _ := a.push(f1[0], now); len(fs) != 0 {
		t.Fatal("a late packet made a frame")
	}
}

func TestAssemblerSkipsALostPacket(t *testing.T) {
	a := newVP8Assembler(nil)
	now := time.Now()
	f1, f2, f3 := vp8Packets(10, 1000, 1, 3), vp8Packets(13, 4000, 2, 2), vp8Packets(15, 7000, 3, 1)
	a.push(f1[0], now)
	a.push(f1[2], now) // f1[1] is lost
	for _, p := range f2 {
		if got, skipped := a.push(p, now.Add(10*time.Millisecond)); len(got) != 0 || skipped {
			t.Fatal("frames released across a gap before the wait ran out")
		}
	}
	got, skipped := a.push(f3[0], now.Add(maxGapWait+time.Millisecond))
	if !skipped {
		t.Fatal("loss not reported")
	}
	wantFrames(t, got, 2, 3)
}

func TestAssemblerWaitsForAFrameStart(t *testing.T) {
	a := newVP8Assembler(nil)
	f := vp8Packets(5, 1000, 7, 3)
	if got, _ := a.push(f[1], time.Now()); len(got) != 0 {
		t.Fatal("a frame from its middle")
	}
	a.push(f[2], time.Now())
	next := vp8Packets(8, 4000, 8, 1)
	got, _ := a.push(next[0], time.Now())
	wantFrames(t, got, 8)
}

func FuzzVP8Assembler(f *testing.F) {
	f.Add([]byte{0, 1, 0x10, 1, 0, 2, 0x00, 1}, uint16(65530))
	f.Add([]byte{0x10, 0x80, 0x00, 0x90, 0xff}, uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, seq0 uint16) {
		a := newVP8Assembler(nil)
		now := time.Now()
		// Each 3 bytes: sequence offset, flags (bit 0 marker, bit 1 new timestamp), descriptor.
		ts := uint32(0)
		for i := 0; i+3 <= len(data); i += 3 {
			if data[i+1]&2 != 0 {
				ts += 3000
			}
			p := &rtp.Packet{Header: rtp.Header{SequenceNumber: seq0 + uint16(data[i]), Timestamp: ts, Marker: data[i+1]&1 != 0},
				Payload: []byte{data[i+2], byte(i)}}
			now = now.Add(time.Duration(data[i+1]>>2) * 10 * time.Millisecond)
			a.push(p, now)
			if len(a.pending) > maxPendingPackets {
				t.Fatalf("%d packets pending", len(a.pending))
			}
		}
	})
}

// pictured gives the packets of a frame a 15-bit picture ID, as pion's
// and libwebrtc's payloaders do.
func pictured(pkts []*rtp.Packet, picture uint16) []*rtp.Packet {
	for i, p := range pkts {
		desc := byte(0x80)
		if i == 0 {
			desc = 0x90
		}
		p.Payload = append([]byte{desc, 0x80, 0x80 | byte(picture>>8&0x7f), byte(picture)}, p.Payload[1:]...)
	}
	return pkts
}

// padding is a padding-only packet: empty once its padding is removed.
func padding(seq uint16, ts uint32) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Padding: true}, PaddingSize: 255}
}

func TestAssemblerPassesOverPadding(t *testing.T) {
	a := newVP8Assembler(nil)
	now := time.Now()
	var got []assembledFrame
	for _, p := range append(append(vp8Packets(10, 1000, 1, 2), padding(12, 1000), padding(13, 1000)), vp8Packets(14, 4000, 2, 2)...) {
		frames, skipped := a.push(p, now)
		if skipped {
			t.Fatal("padding reported as loss")
		}
		got = append(got, frames...)
	}
	wantFrames(t, got, 1, 2)
}

func TestAssemblerDoesNotWaitForLostPadding(t *testing.T) {
	a := newVP8Assembler(nil)
	now := time.Now()
	var got []assembledFrame
	// Padding 12 and 13 were lost; picture 41 follows picture 40.
	for _, p := range append(pictured(vp8Packets(10, 1000, 1, 2), 40), pictured(vp8Packets(14, 4000, 2, 2), 41)...) {
		frames, skipped := a.push(p, now)
		if skipped {
			t.Fatal("lost padding reported as lost media")
		}
		got = append(got, frames...)
	}
	wantFrames(t, got, 1, 2)
}

func TestAssemblerStillWaitsForALostFrame(t *testing.T) {
	a := newVP8Assembler(nil)
	now := time.Now()
	a.push(pictured(vp8Packets(10, 1000, 1, 1), 0x7fff)[0], now)
	// Picture 0 (after the wrap), sequence 11, was lost: picture 1 must wait.
	if got, skipped := a.push(pictured(vp8Packets(12, 4000, 3, 1), 1)[0], now); len(got) != 0 || skipped {
		t.Fatal("a frame after a lost picture released at once")
	}
	got, skipped := a.push(pictured(vp8Packets(13, 7000, 4, 1), 2)[0], now.Add(maxGapWait+time.Millisecond))
	if !skipped {
		t.Fatal("a lost picture not reported")
	}
	wantFrames(t, got, 3, 4)
}
