// SPDX-FileCopyrightText: 2023 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

// Added in Duet's copy: an ICE restart is make-before-break.

package ice

import (
	"context"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/pion/stun/v4"
)

// previousGenerationGrace is how long the previous generation's sockets
// still receive after a pair of the new generation was selected: the
// peer may switch a moment later than we do.
const previousGenerationGrace = time.Second

// After a new pair is selected, a controlling agent keeps sending on the
// previous pair while the peer's data still arrives there and none has
// arrived on the new generation: a controlled peer that missed our
// nomination (Firefox, when it made the restart offer and the nomination
// reached it before our answer) takes data only on the pair it selected.
// It nominates again every renominateEvery meanwhile. peerLeftPreviousAfter
// without the peer's data on the previous pair means it sends no more
// there; past previousSendLimit our data moves whatever the peer does.
const (
	renominateEvery       = 250 * time.Millisecond
	peerLeftPreviousAfter = 200 * time.Millisecond
	previousSendLimit     = 3 * time.Second
)

// previousDataClock is when the peer's data used each generation while a
// previous one is kept, in monotonic nanoseconds (zero: never). The read
// goroutines write it and Conn.Write reads it, without the agent loop.
type previousDataClock struct {
	supersededAt  atomic.Int64 // a new pair was selected
	previousAt    atomic.Int64 // the peer's last data on the previous pair
	movedAt       atomic.Int64 // the peer's first data on the new generation
	renominatedAt atomic.Int64
}

func (c *previousDataClock) reset() {
	for _, v := range []*atomic.Int64{&c.supersededAt, &c.previousAt, &c.movedAt, &c.renominatedAt} {
		v.Store(0)
	}
}

// previousGeneration is what a restart keeps of the working session it
// replaces. Its selected pair carries data both ways, and the peer's
// checks on it with the old credentials are answered, until a pair of
// the new generation is selected (RFC 8445 §9: an agent may keep sending
// on the previous pair while the restart runs). Upstream drops it at
// once (pion/ice#246), which stops media until the new pair is
// nominated. Only the agent loop touches it.
type previousGeneration struct {
	pair             *CandidatePair
	localCandidates  map[NetworkType][]Candidate
	remoteCandidates map[NetworkType][]Candidate
	localUfrag       string
	localPwd         string
	remoteUfrag      string
}

// keepPreviousGenerationLocked moves the working session out of the way of
// a restart instead of deleting it. A restart without a selected pair
// (the first one, one after failure, one while another is still checking)
// keeps nothing new, and a muxed socket cannot serve two ufrags, so there
// upstream's behaviour stays. Runs in the agent loop before the
// credentials change.
func (a *Agent) keepPreviousGenerationLocked() {
	pair := a.getSelectedPair()
	if !a.constructed || pair == nil || a.udpMux != nil || a.udpMuxSrflx != nil || a.tcpMux != nil {
		return
	}
	a.dropPreviousGenerationLocked()
	a.previous = &previousGeneration{
		pair:             pair,
		localCandidates:  a.localCandidates,
		remoteCandidates: a.remoteCandidates,
		localUfrag:       a.localUfrag,
		localPwd:         a.localPwd,
		remoteUfrag:      a.remoteUfrag,
	}
	a.previousClock.reset()
	a.previousPair.Store(pair)
	a.localCandidates = make(map[NetworkType][]Candidate)
	a.remoteCandidates = make(map[NetworkType][]Candidate)
	a.log.Debugf("ICE restart: keeping %s until a new pair is selected", pair)
}

// dropPreviousGenerationLocked closes the previous generation's candidates.
func (a *Agent) dropPreviousGenerationLocked() {
	prev := a.previous
	if prev == nil {
		return
	}
	a.previous = nil
	a.previousPair.Store(nil)
	for _, set := range []map[NetworkType][]Candidate{prev.localCandidates, prev.remoteCandidates} {
		for _, cs := range set {
			for _, c := range cs {
				if err := c.close(); err != nil {
					a.log.Warnf("Failed to close candidate %s: %v", c, err)
				}
			}
		}
	}
	a.log.Debugf("ICE restart: dropped the previous pair %s", prev.pair)
}

// previousGenerationSupersededLocked: a new pair is selected; the previous
// one only receives for a grace, then goes.
func (a *Agent) previousGenerationSupersededLocked() {
	if a.previous != nil {
		a.previousClock.supersededAt.CompareAndSwap(0, getMonoNanos(time.Now()))
	}
}

// previousPairForWrite is the pair Conn.Write uses instead of the selected
// one: the previous pair while no new one is selected, and on a controlling
// agent while the peer's data still arrives only there.
func (a *Agent) previousPairForWrite() *CandidatePair {
	prev := a.previousPair.Load()
	if prev == nil || a.getSelectedPair() == nil {
		return prev
	}
	if a.peerStillOnPrevious(getMonoNanos(time.Now())) {
		return prev
	}

	return nil
}

func (a *Agent) peerStillOnPrevious(now int64) bool {
	clock := &a.previousClock
	superseded := clock.supersededAt.Load()

	return a.isControlling.Load() && clock.movedAt.Load() == 0 && superseded != 0 &&
		now-superseded < previousSendLimit.Nanoseconds() &&
		now-clock.previousAt.Load() < peerLeftPreviousAfter.Nanoseconds()
}

// previousGenerationInbound notes the generation of the peer's data that
// arrived on local while a previous generation is kept, and nominates the
// selected pair again while the peer stays on the previous one. It runs on
// local's read goroutine for every data packet.
func (a *Agent) previousGenerationInbound(local Candidate) {
	prev := a.previousPair.Load()
	if prev == nil {
		return
	}
	clock := &a.previousClock
	now := getMonoNanos(time.Now())
	if !local.Equal(prev.Local) {
		if clock.movedAt.CompareAndSwap(0, now) {
			a.log.Debugf("ICE restart: the peer's data arrived on the new generation")
		}

		return
	}
	clock.previousAt.Store(now)
	last := clock.renominatedAt.Load()
	if !a.peerStillOnPrevious(now) || now-last < renominateEvery.Nanoseconds() ||
		!clock.renominatedAt.CompareAndSwap(last, now) {
		return
	}
	// Bounded by the candidate's own context, as validateNonSTUNTraffic
	// is: the loop may be closing this candidate and waiting for this very
	// read goroutine to end.
	_ = a.loop.Run(local.context(), func(context.Context) {
		cs, ok := a.getSelector().(*controllingSelector)
		pair := a.getSelectedPair()
		if ok && pair != nil && a.previous != nil {
			a.log.Debugf("ICE restart: the peer still sends on the previous pair; nominating %s again", pair)
			cs.nominatePair(pair)
		}
	})
}

// expirePreviousGenerationLocked drops the previous generation a grace after
// a new pair was selected, unless the peer still uses the old pair (data or
// checks): it has not taken the new one, and dropping the old would cut
// its media.
func (a *Agent) expirePreviousGenerationLocked() {
	prev := a.previous
	superseded := a.previousClock.supersededAt.Load()
	if prev == nil || superseded == 0 || time.Since(getMonoTime(superseded)) < previousGenerationGrace {
		return
	}
	lastUsed := prev.pair.Remote.LastReceived()
	if data := a.previousClock.previousAt.Load(); data != 0 {
		lastUsed = maxTime(lastUsed, getMonoTime(data))
	}
	if time.Since(lastUsed) < previousGenerationGrace {
		return
	}
	a.dropPreviousGenerationLocked()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}

	return b
}

// getPreviousPair is the previous generation's pair until it is dropped.
func (a *Agent) getPreviousPair() *CandidatePair {
	return a.previousPair.Load()
}

// handlePreviousGenerationInbound answers the peer's checks on the previous
// generation's sockets with the old credentials, which keeps the peer's
// consent to send on the old path (RFC 7675) while the new one is
// checked. They never nominate nor switch roles: that belongs to the new
// generation. Reports whether msg belonged to the previous generation.
func (a *Agent) handlePreviousGenerationInbound(msg *stun.Message, local Candidate, remote netip.AddrPort) bool {
	prev := a.previous
	if prev == nil || !containsCandidate(prev.localCandidates, local) {
		return false
	}
	remoteCandidate := findCandidateByAddr(prev.remoteCandidates, local.NetworkType(), remote)
	if msg.Type.Class != stun.ClassRequest {
		// Binding indications, and late answers to checks sent before the
		// restart: only the sign of life counts.
		if remoteCandidate != nil {
			remoteCandidate.seen(false)
		}

		return true
	}
	var username stun.Username
	if err := username.GetFrom(msg); err != nil || string(username) != prev.localUfrag+":"+prev.remoteUfrag {
		return false
	}
	if err := stun.MessageIntegrity([]byte(prev.localPwd)).Check(msg); err != nil {
		a.log.Warnf("Discard previous generation request with broken integrity from (%s), %v", remote, err)

		return true
	}
	if remoteCandidate == nil {
		// The peer's address is unknown to the old generation (it moved):
		// answer it without learning it.
		networkType, err := determineNetworkType(local.NetworkType().NetworkShort(), remote.Addr())
		if err != nil {
			return true
		}
		prflx, err := NewCandidatePeerReflexive(&CandidatePeerReflexiveConfig{
			Network:   networkType.String(),
			Address:   canonicalAddr(remote.Addr()).String(),
			Port:      int(remote.Port()),
			Component: local.Component(),
		})
		if err != nil {
			return true
		}
		remoteCandidate = prflx
	} else {
		remoteCandidate.seen(false)
	}
	ip, port, _, err := parseAddr(remoteCandidate.addr())
	if err != nil {
		return true
	}
	out, err := stun.Build(msg, stun.BindingSuccess,
		&stun.XORMappedAddress{IP: ip.AsSlice(), Port: port},
		stun.NewShortTermIntegrity(prev.localPwd),
		stun.Fingerprint,
	)
	if err != nil {
		a.log.Warnf("Failed to build previous generation binding success: %v", err)

		return true
	}
	a.sendSTUN(out, local, remoteCandidate)

	return true
}

// previousGenerationRemote finds the sender of data arriving on the
// previous generation's sockets.
func (a *Agent) previousGenerationRemote(local Candidate, remote netip.AddrPort) Candidate {
	if a.previous == nil || !containsCandidate(a.previous.localCandidates, local) {
		return nil
	}

	return findCandidateByAddr(a.previous.remoteCandidates, local.NetworkType(), remote)
}

func containsCandidate(set map[NetworkType][]Candidate, c Candidate) bool {
	for _, cs := range set {
		for _, x := range cs {
			if x.Equal(c) {
				return true
			}
		}
	}

	return false
}

func findCandidateByAddr(set map[NetworkType][]Candidate, networkType NetworkType, addr netip.AddrPort) Candidate {
	for _, c := range set[networkType] {
		if addrPortEqual(c.addrPort(), addr) {
			return c
		}
	}

	return nil
}
