package jitter

// packet is one received RTP payload waiting to be decoded.
type packet struct {
	seq, ts int64  // unwrapped
	payload []byte // a slice of the store's arena, valid until the slot is reused
}

// store holds received packets in timestamp order in fixed memory: at most
// len(slots) packets of at most maxPayload bytes each, all allocated up
// front so that neither Push nor Pull allocates.
//
// store is not safe for concurrent use; Buffer guards it with its mutex.
type store struct {
	slots []packet
	order []int // slot indices by ascending timestamp; len(order) packets held
	free  []int // unused slot indices
}

func newStore(capacity, maxPayload int) store {
	arena := make([]byte, capacity*maxPayload)
	s := store{
		slots: make([]packet, capacity),
		order: make([]int, 0, capacity),
		free:  make([]int, capacity),
	}
	for i := range s.slots {
		s.slots[i].payload = arena[i*maxPayload : i*maxPayload : (i+1)*maxPayload]
		s.free[i] = capacity - 1 - i
	}
	return s
}

func (s *store) len() int   { return len(s.order) }
func (s *store) full() bool { return len(s.free) == 0 }

// earliest returns the packet with the lowest timestamp, or nil.
func (s *store) earliest() *packet {
	if len(s.order) == 0 {
		return nil
	}
	return &s.slots[s.order[0]]
}

// newest returns the packet with the highest timestamp, or nil.
func (s *store) newest() *packet {
	if len(s.order) == 0 {
		return nil
	}
	return &s.slots[s.order[len(s.order)-1]]
}

// holds reports whether a packet with timestamp ts is held.
func (s *store) holds(ts int64) bool {
	for i := len(s.order) - 1; i >= 0; i-- {
		switch t := s.slots[s.order[i]].ts; {
		case t == ts:
			return true
		case t < ts:
			return false
		}
	}
	return false
}

// insert keeps a copy of payload, which must fit a slot. It reports false,
// keeping nothing, when a packet with the same timestamp is held already
// (a duplicate under another sequence number). The caller makes room first.
func (s *store) insert(seq, ts int64, payload []byte) bool {
	// Packets mostly arrive in order: search from the newest end.
	i := len(s.order)
	for i > 0 && s.slots[s.order[i-1]].ts > ts {
		i--
	}
	if i > 0 && s.slots[s.order[i-1]].ts == ts {
		return false
	}
	slot := s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	p := &s.slots[slot]
	p.seq, p.ts = seq, ts
	p.payload = append(p.payload[:0], payload...)
	s.order = s.order[:len(s.order)+1]
	copy(s.order[i+1:], s.order[i:])
	s.order[i] = slot
	return true
}

// popEarliest forgets the earliest packet. Its payload stays readable until
// the next insert.
func (s *store) popEarliest() {
	if len(s.order) == 0 {
		return
	}
	s.free = append(s.free, s.order[0])
	copy(s.order, s.order[1:])
	s.order = s.order[:len(s.order)-1]
}

func (s *store) clear() {
	for len(s.order) > 0 {
		s.popEarliest()
	}
}
