package jitter

import (
	"math"
	"testing"
)

func TestUnwrap16(t *testing.T) {
	for _, tc := range []struct {
		ref  int64
		v    uint16
		want int64
	}{
		{0, 0, 0},
		{100, 101, 101},
		{100, 99, 99},
		{65535, 0, 65536},           // forward across the wrap
		{65536, 65535, 65535},       // backward across it
		{3 * 65536, 5, 3*65536 + 5}, // after several wraps
		{3*65536 + 10, 65530, 3*65536 - 6},
		{0, 32767, 32767},  // the farthest ahead
		{0, 32768, -32768}, // half way counts as behind
	} {
		if got := unwrap16(tc.ref, tc.v); got != tc.want {
			t.Errorf("unwrap16(%d, %d) = %d, want %d", tc.ref, tc.v, got, tc.want)
		}
	}
}

func TestUnwrap32(t *testing.T) {
	const wrap = 1 << 32
	for _, tc := range []struct {
		ref  int64
		v    uint32
		want int64
	}{
		{0, 960, 960},
		{wrap - 480, 480, wrap + 480},
		{wrap + 480, math.MaxUint32 - 479, wrap - 480},
		{5 * wrap, 0, 5 * wrap},
		{0, math.MaxInt32, math.MaxInt32},
	} {
		if got := unwrap32(tc.ref, tc.v); got != tc.want {
			t.Errorf("unwrap32(%d, %d) = %d, want %d", tc.ref, tc.v, got, tc.want)
		}
	}
}
