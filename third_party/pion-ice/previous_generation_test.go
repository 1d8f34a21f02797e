// SPDX-FileCopyrightText: 2023 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

// Added in Duet's copy.

//go:build !js

package ice

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/transport/v5/test"
)

// maxRestartGap bounds the longest pause in data across a restart. The
// new pair on loopback is selected within tens of milliseconds and the
// old one carries data until then: this is far above a working restart
// and far below one that drops the old pair (a gap as long as the
// signaling takes, which the test holds open until data has flowed).
const maxRestartGap = 500 * time.Millisecond

// TestRestartKeepsPreviousPair restarts ICE between two agents while both
// send a packet every 5 ms, started by the controlling and by the
// controlled agent. The initiator restarts first and its peer only after
// a stretch of data has crossed both ways, as when the offer takes time
// to arrive; data flows without a pause longer than maxRestartGap, a
// pair of the new generation is selected on both sides and the old
// generation is closed afterwards.
func TestRestartKeepsPreviousPair(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		initiatorControlling bool
	}{
		{"controlling agent restarts", true},
		{"controlled agent restarts", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer test.CheckRoutines(t)()
			defer test.TimeOut(30 * time.Second).Stop()

			controlling, controlled := newRestartPair(t)
			defer controlling.close(t)
			defer controlled.close(t)
			initiator, peer := controlling, controlled
			if !tc.initiatorControlling {
				initiator, peer = controlled, controlling
			}
			initiator.run(t)
			peer.run(t)
			for _, s := range []*restartSide{initiator, peer} {
				s.waitReceived(t, 20)
			}

			restartedAt := time.Now()
			marks := map[*restartSide]int{initiator: initiator.received(), peer: peer.received()}
			oldLocal := map[*restartSide]Candidate{initiator: initiator.selectedLocal(t), peer: peer.selectedLocal(t)}

			// The initiator makes its offer; its new candidates wait for
			// the offer to be delivered.
			initiator.holdCandidates()
			initiator.restart(t)
			for _, s := range []*restartSide{initiator, peer} {
				s.waitReceived(t, marks[s]+40)
			}

			// The peer applies the offer and answers.
			peer.holdCandidates()
			peer.restart(t)
			peer.setRemoteCredentials(t, initiator)
			initiator.releaseCandidates(t)
			initiator.setRemoteCredentials(t, peer)
			peer.releaseCandidates(t)

			for _, s := range []*restartSide{initiator, peer} {
				s.waitNewPair(t, oldLocal[s])
				s.waitReceived(t, s.received()+40)
			}
			for _, s := range []*restartSide{initiator, peer} {
				gap := s.longestGapSince(restartedAt)
				t.Logf("%s: longest gap in received data across the restart %v, write errors %d",
					s.name, gap.Round(time.Millisecond), s.writeErrors())
				if gap > maxRestartGap {
					t.Errorf("%s: longest gap in received data %v, want at most %v", s.name, gap, maxRestartGap)
				}
				s.waitPreviousDropped(t)
			}
		})
	}
}

// TestPreviousPairKeptWhileUsed: after the restart both agents selected a
// new pair, but each peer still sends on the old one (as Firefox does when
// it missed the nomination); the old generation stays past its grace while
// data arrives on it, and goes once the data stops.
func TestPreviousPairKeptWhileUsed(t *testing.T) {
	defer test.CheckRoutines(t)()
	defer test.TimeOut(30 * time.Second).Stop()

	a, b := newRestartPair(t)
	defer a.close(t)
	defer b.close(t)
	both := []*restartSide{a, b}
	old := map[*restartSide]Candidate{a: a.selectedLocal(t), b: b.selectedLocal(t)}
	for _, s := range both {
		s.holdCandidates()
		s.restart(t)
	}
	a.setRemoteCredentials(t, b)
	b.setRemoteCredentials(t, a)
	a.releaseCandidates(t)
	b.releaseCandidates(t)
	oldPairs := map[*restartSide]*CandidatePair{}
	for _, s := range both {
		s.waitNewPair(t, old[s])
		oldPairs[s] = s.previousPairLocked(t)
	}

	// Well past the grace, with a keepalive tick or two in it.
	until := time.Now().Add(previousGenerationGrace + 3*defaultKeepaliveInterval/2)
	for time.Now().Before(until) {
		for _, s := range both {
			if _, err := oldPairs[s].Write([]byte("on the old pair")); err != nil {
				t.Fatalf("%s: write on the previous pair: %v", s.name, err)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, s := range both {
		if s.previousPairLocked(t) == nil {
			t.Errorf("%s: previous generation dropped while the peer still sent on it", s.name)
		}
	}
	for _, s := range both {
		s.waitPreviousDropped(t)
	}
}

// TestControllingFollowsThePeerToTheNewPair: after the restart both agents
// selected a new pair, but the controlled peer still sends on the old one,
// as Firefox does when it missed the nomination and then takes data only
// on the old pair. The controlling agent's data stays on the old pair until
// the peer's arrives on the new one; the controlled agent follows its
// selection at once.
func TestControllingFollowsThePeerToTheNewPair(t *testing.T) {
	defer test.CheckRoutines(t)()
	defer test.TimeOut(30 * time.Second).Stop()

	controlling, controlled := newRestartPair(t)
	defer controlling.close(t)
	defer controlled.close(t)
	both := []*restartSide{controlling, controlled}
	old := map[*restartSide]Candidate{controlling: controlling.selectedLocal(t), controlled: controlled.selectedLocal(t)}
	for _, s := range both {
		s.holdCandidates()
		s.restart(t)
	}
	controlling.setRemoteCredentials(t, controlled)
	controlled.setRemoteCredentials(t, controlling)
	controlling.releaseCandidates(t)
	controlled.releaseCandidates(t)
	for _, s := range both {
		s.waitNewPair(t, old[s])
	}
	oldPair := controlled.previousPairLocked(t)
	if controlled.agent.previousPairForWrite() != nil {
		t.Error("the controlled agent still writes on the previous pair after selecting a new one")
	}

	eventuallyTrue(t, "the controlling agent writing on the previous pair", func() bool {
		if _, err := oldPair.Write([]byte("still on the old pair")); err != nil {
			t.Fatalf("write on the previous pair: %v", err)
		}
		pair := controlling.agent.previousPairForWrite()

		return pair != nil && pair.Local.Equal(old[controlling])
	})
	eventuallyTrue(t, "the controlling agent following the peer to the new pair", func() bool {
		if _, err := controlled.conn.Write([]byte("on the new pair")); err != nil {
			t.Fatalf("write on the new pair: %v", err)
		}

		return controlling.agent.previousPairForWrite() == nil
	})
	for _, s := range both {
		s.waitPreviousDropped(t)
	}
}

// previousPairLocked is the previous generation's pair, nil once dropped.
func (s *restartSide) previousPairLocked(t *testing.T) *CandidatePair {
	t.Helper()
	var pair *CandidatePair
	if err := s.agent.loop.Run(s.agent.loop, func(context.Context) {
		if s.agent.previous != nil {
			pair = s.agent.previous.pair
		}
	}); err != nil {
		t.Fatal(err)
	}

	return pair
}

// restartSide is one agent of the test, its connection, and the data it
// sends and receives.
type restartSide struct {
	name  string
	agent *Agent
	peer  *restartSide
	conn  *Conn

	mu       sync.Mutex  // guards the fields below
	held     bool        // new local candidates wait for the signaling
	pending  []Candidate // held local candidates
	arrivals []time.Time // when each packet from the peer arrived
	failures int         // writes that found no pair

	stop      chan struct{}
	done      sync.WaitGroup
	closeOnce sync.Once
}

func newRestartPair(t *testing.T) (controlling, controlled *restartSide) {
	t.Helper()
	controlling = newRestartSide(t, "controlling")
	controlled = newRestartSide(t, "controlled")
	controlling.peer, controlled.peer = controlled, controlling
	for _, s := range []*restartSide{controlling, controlled} {
		if err := s.agent.GatherCandidates(); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cUfrag, cPwd := controlled.credentials(t)
	aUfrag, aPwd := controlling.credentials(t)
	accepted := make(chan error, 1)
	go func() {
		var err error
		controlled.conn, err = controlled.agent.Accept(ctx, aUfrag, aPwd)
		accepted <- err
	}()
	var err error
	controlling.conn, err = controlling.agent.Dial(ctx, cUfrag, cPwd)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-accepted; err != nil {
		t.Fatal(err)
	}

	return controlling, controlled
}

func newRestartSide(t *testing.T, name string) *restartSide {
	t.Helper()
	agent, err := NewAgentWithOptions(
		WithNetworkTypes([]NetworkType{NetworkTypeUDP4}),
		WithCandidateTypes([]CandidateType{CandidateTypeHost}),
		WithIncludeLoopback(),
		WithInterfaceFilter(func(name string) bool { return name == "lo" }),
		WithMulticastDNSMode(MulticastDNSModeDisabled),
	)
	if err != nil {
		t.Fatal(err)
	}
	s := &restartSide{name: name, agent: agent, stop: make(chan struct{})}
	if err := agent.OnCandidate(s.localCandidate); err != nil {
		t.Fatal(err)
	}

	return s
}

// localCandidate trickles a new local candidate to the peer, or holds it
// while the signaling has not delivered this side's description.
func (s *restartSide) localCandidate(c Candidate) {
	if c == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held {
		s.pending = append(s.pending, c)

		return
	}
	_ = s.peer.agent.AddRemoteCandidate(c)
}

func (s *restartSide) holdCandidates() {
	s.mu.Lock()
	s.held = true
	s.mu.Unlock()
}

func (s *restartSide) releaseCandidates(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held = false
	for _, c := range s.pending {
		if err := s.peer.agent.AddRemoteCandidate(c); err != nil {
			t.Fatal(err)
		}
	}
	s.pending = nil
}

func (s *restartSide) credentials(t *testing.T) (string, string) {
	t.Helper()
	ufrag, pwd, err := s.agent.GetLocalUserCredentials()
	if err != nil {
		t.Fatal(err)
	}

	return ufrag, pwd
}

// restart is what pion/webrtc does on an ICE restart: new credentials,
// then gathering anew.
func (s *restartSide) restart(t *testing.T) {
	t.Helper()
	if err := s.agent.Restart("", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.agent.GatherCandidates(); err != nil {
		t.Fatal(err)
	}
}

func (s *restartSide) setRemoteCredentials(t *testing.T, from *restartSide) {
	t.Helper()
	ufrag, pwd := from.credentials(t)
	if err := s.agent.SetRemoteCredentials(ufrag, pwd); err != nil {
		t.Fatal(err)
	}
}

// run sends a packet every 5 ms and records the arrival of the peer's.
func (s *restartSide) run(t *testing.T) {
	t.Helper()
	s.done.Add(2)
	go func() {
		defer s.done.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		packet := []byte("data across a restart")
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			if _, err := s.conn.Write(packet); err != nil {
				s.mu.Lock()
				s.failures++
				s.mu.Unlock()
			}
		}
	}()
	go func() {
		defer s.done.Done()
		buf := make([]byte, 1500)
		for {
			if _, err := s.conn.Read(buf); err != nil {
				return
			}
			s.mu.Lock()
			s.arrivals = append(s.arrivals, time.Now())
			s.mu.Unlock()
		}
	}()
}

func (s *restartSide) close(t *testing.T) {
	t.Helper()
	s.closeOnce.Do(func() {
		close(s.stop)
		if err := s.agent.GracefulClose(); err != nil {
			t.Error(err)
		}
		s.done.Wait()
	})
}

func (s *restartSide) received() int {
	s.mu.Lock()
	defer s.mu.Unlock()

	return len(s.arrivals)
}

func (s *restartSide) writeErrors() int {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.failures
}

func (s *restartSide) waitReceived(t *testing.T, n int) {
	t.Helper()
	eventuallyTrue(t, s.name+" receiving data", func() bool { return s.received() >= n })
}

// longestGapSince is the longest time without data from since to the last
// arrival.
func (s *restartSide) longestGapSince(since time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gap time.Duration
	last := since
	for _, at := range s.arrivals {
		if at.Before(since) {
			continue
		}
		gap = max(gap, at.Sub(last))
		last = at
	}

	return gap
}

func (s *restartSide) selectedLocal(t *testing.T) Candidate {
	t.Helper()
	pair := s.agent.getSelectedPair()
	if pair == nil {
		t.Fatalf("%s: no selected pair", s.name)
	}

	return pair.Local
}

// waitNewPair waits for a selected pair on a local candidate of the new
// generation.
func (s *restartSide) waitNewPair(t *testing.T, old Candidate) {
	t.Helper()
	eventuallyTrue(t, s.name+" selecting a new pair", func() bool {
		pair := s.agent.getSelectedPair()

		return pair != nil && !pair.Local.Equal(old)
	})
}

func (s *restartSide) waitPreviousDropped(t *testing.T) {
	t.Helper()
	eventuallyTrue(t, s.name+" dropping the previous generation", func() bool {
		var kept bool
		if err := s.agent.loop.Run(s.agent.loop, func(context.Context) { kept = s.agent.previous != nil }); err != nil {
			return false
		}

		return !kept && s.agent.getPreviousPair() == nil
	})
}

// eventuallyTrue polls cond until it holds; the test's timeout bounds it.
func eventuallyTrue(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
