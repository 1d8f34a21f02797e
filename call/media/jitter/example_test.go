package jitter_test

import (
	"fmt"
	"strings"
	"time"

	"duet/call/media/jitter"
)

// rawPCM is a stand-in codec: a payload is PCM bytes, one per sample.
type rawPCM struct{}

func (rawPCM) Decode(p []byte, pcm []int16) (int, error) {
	for i, v := range p {
		pcm[i] = int16(v) << 8
	}
	return len(p), nil
}
func (c rawPCM) DecodeFEC(_ []byte, pcm []int16) (int, error) { return c.Conceal(pcm) }
func (rawPCM) Conceal(pcm []int16) (int, error)               { clear(pcm); return len(pcm), nil }

// The receive goroutine pushes packets as they come (with pion/rtp, the
// packet's SequenceNumber, Timestamp and Payload); the playout clock pulls
// 10 ms at a time.
func Example() {
	buf, err := jitter.New(jitter.Config{SampleRate: 48000, Decoder: rawPCM{}})
	if err != nil {
		panic(err)
	}
	start := time.Now()
	payload := make([]byte, 960) // 20 ms
	out := make([]int16, 480)    // 10 ms
	var results []string
	for k := range 10 {
		buf.Push(uint16(k), uint32(k*960), payload, start.Add(time.Duration(k)*20*time.Millisecond))
		results = append(results, buf.Pull(out).String(), buf.Pull(out).String())
	}
	fmt.Println(strings.Join(results, " "))
	s := buf.Stats()
	fmt.Println("target", s.Target, "concealed", s.Concealed)
	// Output:
	// waiting normal normal normal normal normal normal normal normal normal normal normal normal normal normal normal normal normal normal normal
	// target 25ms concealed 0
}
