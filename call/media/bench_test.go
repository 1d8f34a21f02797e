package media_test

import (
	"slices"
	"testing"
	"time"

	"duet/call/media"
)

// BenchmarkICERestartRecovery: a video call on a virtual network whose link
// is cut for 3 s, then restored, five times. Reported: the median time from
// the link's return to ICE connected again, and to the first decoded
// frame, on either side. ICE timeouts are the tests' short ones (failure
// 2 s after the last packet); restarts begin 300 ms after a disconnection
// and are retried at least every second.
func BenchmarkICERestartRecovery(b *testing.B) {
	l, alice, bob := callOnLAN(b, autoICE)
	both := []*peer{alice, bob}
	flowing(b, both, 15)
	isReconnected := func(ev media.Event) bool { _, ok := ev.(media.ICEReconnected); return ok }
	var iceBack, videoBack []time.Duration
	for range max(b.N, 5) {
		seen := map[*peer]int{}
		for _, p := range both {
			seen[p] = len(p.stampedEvents(isReconnected))
		}
		l.down.Store(true)
		time.Sleep(3 * time.Second)
		for _, p := range both {
			p.resume.Store(true)
		}
		l.down.Store(false)
		restored := time.Now()
		for _, p := range both {
			eventually(b, p.name+" reconnecting", func() bool { return len(p.stampedEvents(isReconnected)) > seen[p] })
			eventually(b, p.name+" decoding again", func() bool { return !p.resume.Load() })
			iceBack = append(iceBack, p.stampedEvents(isReconnected)[seen[p]].at.Sub(restored))
			videoBack = append(videoBack, time.Unix(0, p.resumedAt.Load()).Sub(restored))
		}
	}
	b.ReportMetric(float64(median(iceBack).Milliseconds()), "ice-ms")
	b.ReportMetric(float64(median(videoBack).Milliseconds()), "video-ms")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
