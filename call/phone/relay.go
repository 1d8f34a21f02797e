package phone

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/pion/webrtc/v4"

	"duet/call/media"
	"duet/call/proto"
)

// ErrNoRelay: relay-only calls need a TURN server, and the server handed
// out none. Without this check such a call would ring, be answered and
// then never connect.
var ErrNoRelay = errors.New("always relay is on, but this server offers no relay (TURN) server: " +
	"turn always relay off, or ask the server's operator to enable TURN")

// SetRelayOnly sets whether calls from the next one on go through the
// server's relay only (see Config.RelayOnly); the current call keeps its
// way.
func (p *Phone) SetRelayOnly(on bool) {
	p.mu.Lock()
	p.relayOnly = on
	p.mu.Unlock()
}

// RelayOnly reports whether the next call goes through the relay only.
func (p *Phone) RelayOnly() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.relayOnly
}

// checkRelay fails relay-only calls when the server offers no TURN server.
func (p *Phone) checkRelay() error {
	if !p.RelayOnly() || hasTURN(p.cfg.Client.ICEServers()) {
		return nil
	}
	return ErrNoRelay
}

func hasTURN(servers []proto.ICEServer) bool {
	for _, s := range servers {
		for _, u := range s.URLs {
			if strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:") {
				return true
			}
		}
	}
	return false
}

// hideAddresses relays a relay-only session's messages with the related
// address of its candidates blanked. A relay candidate's raddr is the
// local socket it reaches the TURN server from — on TCP, or when ICE is
// bound to chosen interfaces, this host's own address — and the peer needs
// only the relay address.
type hideAddresses struct{ media.Signaler }

// relatedAddr matches the related address part of a candidate line.
var relatedAddr = regexp.MustCompile(`raddr \S+ rport \d+`)

func (h hideAddresses) Relay(ctx context.Context, kind string, payload any) error {
	switch p := payload.(type) {
	case webrtc.ICECandidateInit:
		p.Candidate = blankRelated(p.Candidate)
		payload = p
	case webrtc.SessionDescription:
		// Candidates gathered before an offer are written into it.
		p.SDP = blankRelated(p.SDP)
		payload = p
	}
	return h.Signaler.Relay(ctx, kind, payload)
}

func blankRelated(s string) string {
	return relatedAddr.ReplaceAllString(s, "raddr 0.0.0.0 rport 0")
}
