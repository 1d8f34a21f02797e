package jitter

// RTP sequence numbers (16 bits) and timestamps (32 bits) wrap. The buffer
// extends them to int64 relative to a reference it keeps close to the
// packets it is working on (the playout point, the highest sequence number),
// so ordering and differences are plain arithmetic across wraps.

// unwrap16 returns the int64 nearest ref whose low 16 bits are v.
func unwrap16(ref int64, v uint16) int64 { return ref + int64(int16(v-uint16(ref))) }

// unwrap32 returns the int64 nearest ref whose low 32 bits are v.
func unwrap32(ref int64, v uint32) int64 { return ref + int64(int32(v-uint32(ref))) }
