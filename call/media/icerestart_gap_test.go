package media_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"duet/call/media"
	"duet/call/proto"
)

// maxRestartGap bounds the longest pause in decoded frames across an ICE
// restart on a working path. At 15 frames per second the normal gap is
// 67 ms; a restart that drops the old path before the new one connects
// pauses for as long as the new checks take, and the test holds the
// restart's answer back for longer than this.
const maxRestartGap = 500 * time.Millisecond

// TestICERestartKeepsMedia restarts ICE on a working path, started by the
// controlling side (bob, who made the first offer) and by the controlled
// one (alice), and with the answer to the restart offer slow to come:
// both keep decoding frames on the old path until the new one is
// connected, without a pause longer than maxRestartGap, and no ICE role
// conflict is reported.
func TestICERestartKeepsMedia(t *testing.T) {
	for _, tc := range []struct {
		name      string
		initiator string // who restarts: the other one rejoins the room
	}{
		{"controlling side restarts", "bob"},
		{"controlled side restarts", "alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			l := newLAN(t)
			alice, bob := r.peer("alice"), r.peer("bob")
			both := []*peer{alice, bob}
			arrivals := map[*peer]*frameTimes{}
			for _, p := range both {
				ft := &frameTimes{}
				arrivals[p] = ft
				p.onFrame = ft.add
			}
			connect(t, alice, bob, vnetConfig(l.a, manualICE), vnetConfig(l.b, manualICE))
			flowing(t, both, 15)

			initiator, other := bob, alice
			if tc.initiator == "alice" {
				initiator, other = alice, bob
			}
			// The other side's signaling holds the answer back until
			// frames have flowed a while after the restart offer.
			other.gate.closed.Store(true)
			restarted := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			// A peer entering the room again gets a fresh offer: a restart.
			if _, err := other.client.StartRTC(ctx, proto.CallTypeVideo); err != nil {
				t.Fatal(err)
			}
			eventually(t, initiator.name+" restarting ICE", func() bool { return restarts(initiator, false) >= 1 })
			eventually(t, other.name+" accepting the restart", func() bool { return restarts(other, true) >= 1 })
			flowingAgain(t, both, frameCounts(both), 15)
			other.gate.closed.Store(false)
			// The answer went nowhere: the initiator's retry sends its offer
			// again, as it does after a lost signaling connection.
			initiator.media().RestartICE()

			for _, p := range both {
				reconnected(p)
			}
			flowingAgain(t, both, frameCounts(both), 30)
			for _, p := range both {
				gap := arrivals[p].longestGapSince(restarted)
				t.Logf("%s: longest gap in decoded frames across the restart %v", p.name, gap.Round(time.Millisecond))
				if gap > maxRestartGap {
					t.Errorf("%s: longest gap in decoded frames %v, want at most %v", p.name, gap, maxRestartGap)
				}
				if line := p.logs.find("role conflict"); line != "" {
					t.Errorf("%s: %s", p.name, line)
				}
			}
		})
	}
}

// frameTimes records when each frame was decoded.
type frameTimes struct {
	mu  sync.Mutex
	due []time.Time // guarded by mu
}

func (f *frameTimes) add(fr media.Frame) {
	f.mu.Lock()
	f.due = append(f.due, fr.Decoded)
	f.mu.Unlock()
}

// longestGapSince is the longest time without a decoded frame from since to
// the newest one.
func (f *frameTimes) longestGapSince(since time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var gap time.Duration
	last := since
	for _, at := range f.due {
		if at.Before(since) {
			continue
		}
		gap = max(gap, at.Sub(last))
		last = at
	}
	return gap
}

// find returns the first recorded line containing s, "" if none does.
func (l *logRecorder) find(s string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(strings.ToLower(line), s) {
			return line
		}
	}
	return ""
}
