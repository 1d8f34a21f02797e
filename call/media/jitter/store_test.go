package jitter

import (
	"bytes"
	"slices"
	"testing"
)

func storeTimestamps(s *store) []int64 {
	var ts []int64
	for _, i := range s.order {
		ts = append(ts, s.slots[i].ts)
	}
	return ts
}

func TestStoreKeepsTimestampOrder(t *testing.T) {
	s := newStore(4, 8)
	for _, ts := range []int64{960, 0, 2880, 1920} {
		if !s.insert(ts/960, ts, []byte{byte(ts / 960)}) {
			t.Fatalf("insert ts %d refused", ts)
		}
	}
	if got := storeTimestamps(&s); !slices.Equal(got, []int64{0, 960, 1920, 2880}) {
		t.Fatalf("order %v", got)
	}
	if !s.full() || s.len() != 4 {
		t.Fatalf("full %v len %d", s.full(), s.len())
	}
	if e, n := s.earliest(), s.newest(); e.ts != 0 || n.ts != 2880 || e.payload[0] != 0 || n.payload[0] != 3 {
		t.Fatalf("earliest %+v newest %+v", e, n)
	}
	s.popEarliest()
	if got := storeTimestamps(&s); !slices.Equal(got, []int64{960, 1920, 2880}) {
		t.Fatalf("after pop %v", got)
	}
	s.clear()
	if s.len() != 0 || s.earliest() != nil || s.newest() != nil || len(s.free) != 4 {
		t.Fatalf("after clear len %d free %d", s.len(), len(s.free))
	}
}

func TestStoreRefusesSameTimestamp(t *testing.T) {
	s := newStore(4, 8)
	s.insert(1, 960, []byte{1})
	s.insert(0, 0, []byte{0})
	if !s.holds(960) || !s.holds(0) || s.holds(480) || s.holds(1920) {
		t.Fatal("holds is wrong")
	}
	if s.insert(2, 960, []byte{2}) {
		t.Fatal("second packet with ts 960 kept")
	}
	if s.len() != 2 || s.newest().payload[0] != 1 {
		t.Fatalf("len %d payload %v", s.len(), s.newest().payload)
	}
}

// TestStoreCopiesPayload: the caller reuses its read buffer.
func TestStoreCopiesPayload(t *testing.T) {
	s := newStore(2, 8)
	buf := []byte{1, 2, 3}
	s.insert(0, 0, buf)
	buf[0] = 9
	if !bytes.Equal(s.earliest().payload, []byte{1, 2, 3}) {
		t.Fatalf("payload %v changed with the caller's buffer", s.earliest().payload)
	}
}

func TestStoreDoesNotAllocate(t *testing.T) {
	s := newStore(8, 64)
	payload := make([]byte, 64)
	ts := int64(0)
	allocs := testing.AllocsPerRun(100, func() {
		s.insert(ts, ts, payload)
		if s.full() {
			s.popEarliest()
		}
		ts += 960
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per insert", allocs)
	}
}
