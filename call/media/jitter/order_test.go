package jitter

import (
	"testing"
	"time"
)

// TestReorder: packets swapped in pairs, within the target, play in order
// with nothing concealed.
func TestReorder(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	r := simulate(b, link{delay: func(k int) time.Duration {
		if k%2 == 0 {
			return 26 * time.Millisecond // behind its odd successor, sent 20 ms later
		}
		return 5 * time.Millisecond
	}}, 500, 480)
	s := r.last()
	t.Logf("pairs swapped: %+v", s)
	if s.Concealed != 0 || s.Late != 0 || s.Resets != 0 {
		t.Errorf("concealed %d late %d resets %d, want none", s.Concealed, s.Late, s.Resets)
	}
	if s.Accelerates+s.Expands == 0 && !r.exact() {
		t.Error("output differs from what was sent")
	}
	// Every frame plays, in order.
	from := 0
	for k := 0; k < 495; k++ {
		i := index(r.out[from:], r.src[k*960+480:(k+1)*960])
		if i < 0 {
			t.Fatalf("the second half of frame %d is not in the output after frame %d", k, k-1)
		}
		from += i
	}
}

// TestWrapAround: sequence numbers and timestamps wrap mid-stream, and
// nothing notices.
func TestWrapAround(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	r := simulate(b, link{
		seq: func(k int) uint16 { return uint16(65436 + k) },               // wraps at packet 100
		ts:  func(k int) uint32 { return uint32(1<<32 - 200*960 + k*960) }, // wraps at packet 200
	}, 500, 480)
	s := r.last()
	if s.Concealed != 0 || s.Late != 0 || s.Resets != 0 || s.Duplicates != 0 || s.Accelerates+s.Expands != 0 {
		t.Errorf("stats %+v across the wraps", s)
	}
	if !r.exact() || len(r.played()) < len(r.src)-2*960 {
		t.Error("output differs from what was sent")
	}
}

// TestDuplicates: packets received twice play once.
func TestDuplicates(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	r := simulate(b, link{twice: func(k int) bool { return k%5 == 0 }}, 500, 480)
	s := r.last()
	if s.Duplicates != 100 || s.Concealed != 0 || s.Late != 0 {
		t.Errorf("duplicates %d concealed %d late %d, want 100, 0, 0", s.Duplicates, s.Concealed, s.Late)
	}
	if !r.exact() {
		t.Error("output differs from what was sent")
	}
}

// TestDuplicateTimestamp: a packet with a new sequence number but the
// timestamp of one held is a duplicate too.
func TestDuplicateTimestamp(t *testing.T) {
	b := newTestBuffer(t, newPCMCodec())
	frame := encodePCM(testSignal(960), nil)
	b.Push(1, 960, frame, epoch)
	b.Push(2, 960, frame, epoch)
	if s := b.Stats(); s.Duplicates != 1 || s.Packets != 1 {
		t.Fatalf("duplicates %d packets %d", s.Duplicates, s.Packets)
	}
}

// TestFrameSizes: the packet duration comes from the decoder, whatever it
// is, and the target is one packet plus a margin.
func TestFrameSizes(t *testing.T) {
	for _, frame := range []int{240, 480, 960, 1920, 2880} {
		t.Run(time.Duration(frame*int(time.Second)/testRate).String(), func(t *testing.T) {
			b := newTestBuffer(t, newPCMCodec())
			r := simulate(b, link{frame: frame}, 10*48000/frame, 480)
			s := r.last()
			wantTarget := time.Duration(frame)*time.Second/testRate + bucketWidth
			if s.Target != wantTarget || s.Concealed != 0 || s.Late != 0 || s.Accelerates+s.Expands != 0 {
				t.Errorf("target %v (want %v) stats %+v", s.Target, wantTarget, s)
			}
			if !r.exact() {
				t.Error("output differs from what was sent")
			}
		})
	}
}
