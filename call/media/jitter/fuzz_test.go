package jitter

import (
	"encoding/binary"
	"testing"
	"time"
)

// Fuzz operations. Each is a kind byte and its arguments; a short tail
// reads as zeros.
const (
	opPush    = iota // dseq int8, dts int8 (×120 samples), frame (samples/120 mod 8, and FEC bit), arrival delta ms
	opGarbage        // dseq int8, dts int8, length, arrival delta ms, then length bytes of payload
	opPull           // size uint16 (mod 2000, +1)
	opControl        // 0 Reset, 1 Stats, 2 sequence leap, 3 timestamp leap (4 bytes), 4 arrival clock leap (4 bytes, ms, signed)
	opKinds

	// maxFuzzOps bounds the work per input, to keep the fuzzer quick.
	maxFuzzOps = 3000
)

// fuzzReader hands out the fuzz input a byte at a time.
type fuzzReader []byte

func (r *fuzzReader) byte() byte {
	if len(*r) == 0 {
		return 0
	}
	b := (*r)[0]
	*r = (*r)[1:]
	return b
}

func (r *fuzzReader) bytes(n int) []byte {
	n = min(n, len(*r))
	b := (*r)[:n]
	*r = (*r)[n:]
	return b
}

// FuzzJitterBuffer runs arbitrary Push, Pull, Reset and Stats sequences:
// nothing panics, every Pull fills all it was given (decoded or concealed
// audio, or silence only while waiting to start), and memory stays within
// its bounds.
func FuzzJitterBuffer(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(fuzzJitterBuffer)
}

// fuzzSignal is the audio the fuzz pushes: one 20 ms frame at most.
var fuzzSignal = testSignal(960)

// fuzzJitterBuffer is one fuzz input run against a fresh buffer.
func fuzzJitterBuffer(t *testing.T, data []byte) {
	b, err := New(Config{SampleRate: testRate, Decoder: newPCMCodec(), MaxPayload: 4096, MaxPackets: 16})
	if err != nil {
		t.Fatal(err)
	}
	syncLen, candCap := len(b.sync), cap(b.cand.payload)
	src := fuzzSignal
	var seq uint16
	var ts uint32
	now := epoch
	r := fuzzReader(data)
	for ops := 0; len(r) > 0 && ops < maxFuzzOps; ops++ {
		switch r.byte() % opKinds {
		case opPush:
			seq += uint16(int8(r.byte()))
			ts += uint32(int32(int8(r.byte())) * 120)
			frame := r.byte()
			n := int(frame%8+1) * 120
			var fec []int16
			if frame&0x80 != 0 {
				fec = src[:n]
			}
			now = now.Add(time.Duration(r.byte()) * time.Millisecond)
			b.Push(seq, ts, encodePCM(src[:n], fec), now)
		case opGarbage:
			seq += uint16(int8(r.byte()))
			ts += uint32(int32(int8(r.byte())) * 120)
			n := int(r.byte())
			now = now.Add(time.Duration(r.byte()) * time.Millisecond)
			b.Push(seq, ts, r.bytes(n), now)
		case opPull:
			size := int(binary.LittleEndian.Uint16([]byte{r.byte(), r.byte()}))%2000 + 1
			out := make([]int16, size)
			for i := range out {
				out[i] = 0x5a5a
			}
			before := b.Stats().Played
			res := b.Pull(out)
			played := int(b.Stats().Played - before)
			if played > size {
				t.Fatalf("pull of %d played %d", size, played)
			}
			for i, v := range out[played:] {
				if v != 0 {
					t.Fatalf("pull of %d (%v) played %d, then %d at %d instead of silence", size, res, played, v, played+i)
				}
			}
			if played < size && (b.state == statePlaying || res == PullUnknown) {
				t.Fatalf("pull of %d (%v) played only %d while %v", size, res, played, b.state)
			}
		case opControl:
			switch c := r.byte(); c % 5 {
			case 0:
				b.Reset()
			case 1:
				b.Stats()
			case 2:
				seq += uint16(c) * 1000
			case 3:
				ts += binary.LittleEndian.Uint32(append(r.bytes(4), 0, 0, 0, 0))
			case 4:
				leap := int32(binary.LittleEndian.Uint32(append(r.bytes(4), 0, 0, 0, 0)))
				now = now.Add(time.Duration(leap) * time.Millisecond)
			}
		}
		if n := b.packets.len(); n > 16 || n+len(b.packets.free) != 16 {
			t.Fatalf("%d packets held, %d slots free", n, len(b.packets.free))
		}
		if len(b.sync) != syncLen || cap(b.cand.payload) != candCap || b.syncPos > b.syncLen || b.syncLen > len(b.sync) {
			t.Fatalf("buffers changed: sync %d/%d of %d, candidate cap %d", b.syncPos, b.syncLen, len(b.sync), cap(b.cand.payload))
		}
	}
}

// fuzzSeeds are the table tests' scenarios written as fuzz operations.
func fuzzSeeds() [][]byte {
	push := func(dseq, dts int8, frame byte, dms byte) []byte {
		return []byte{opPush, byte(dseq), byte(dts), frame, dms}
	}
	pull := []byte{opPull, 224, 1} // 481 samples
	stream := func(packets int, each func(k int) []byte) []byte {
		var s []byte
		for k := range packets {
			s = append(s, each(k)...)
			s = append(s, pull...)
			s = append(s, pull...)
		}
		return s
	}
	clean := func(k int) []byte { return push(1, 8, 7, 20) } // 20 ms packets every 20 ms
	return [][]byte{
		stream(50, clean),
		stream(50, func(k int) []byte { // one lost, FEC in the next
			if k == 20 {
				return []byte{opControl, 2}
			}
			return push(1, 8, 7|0x80, 20)
		}),
		stream(50, func(k int) []byte { // swapped pairs
			switch k % 2 {
			case 0:
				return push(2, 16, 7, 20)
			default:
				return push(-1, -8, 7, 0)
			}
		}),
		stream(50, func(k int) []byte { // duplicates
			return append(push(1, 8, 7, 20), push(0, 0, 7, 1)...)
		}),
		stream(50, func(k int) []byte { // timestamp leap
			if k == 25 {
				return append([]byte{opControl, 3, 0, 0, 0, 0x40}, push(1, 8, 7, 20)...)
			}
			return clean(k)
		}),
		stream(50, func(k int) []byte { // garbage and resets
			switch k % 10 {
			case 3:
				return []byte{opGarbage, 1, 8, 6, 20, 1, 2, 3, 4, 5, 6}
			case 9:
				return []byte{opControl, 0}
			}
			return clean(k)
		}),
		stream(50, func(k int) []byte { return push(1, 8, 7, byte(k*37%150)) }), // jitter
		stream(50, func(k int) []byte { // the arrival clock leaps back and forth
			if k%10 == 5 {
				return append([]byte{opControl, 4, 0, 0, 0, 0x80}, clean(k)...)
			}
			return clean(k)
		}),
	}
}
