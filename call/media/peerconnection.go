package media

import (
	"fmt"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"duet/call/internal/pionlog"
	"duet/call/proto"
	"duet/devices"
)

// newPeerConnection builds a peer connection with Duet's codecs (VP8, Opus),
// its send path (see newSendPath) and the ICE policy and timeouts of cfg.
func newPeerConnection(cfg Config) (*webrtc.PeerConnection, *sendPath, error) {
	me := &webrtc.MediaEngine{}
	if err := devices.RegisterCodecs(me); err != nil {
		return nil, nil, fmt.Errorf("register codecs: %w", err)
	}
	reg := &interceptor.Registry{}
	// The echo forwards what the caller sends: the caller's own estimate
	// sets the rate, and holding its packets here would only lose them.
	path, err := newSendPath(me, reg, cfg.Logger, cfg.LoopbackOnly && cfg.Net == nil || cfg.Echo)
	if err != nil {
		return nil, nil, fmt.Errorf("register interceptors: %w", err)
	}
	se := webrtc.SettingEngine{LoggerFactory: pionlog.Factory{Log: cfg.Logger}}
	// mDNS would announce on the LAN for nothing: candidates travel by relay.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// Session.Close is the one teardown path, in the order the tracks need;
	// Pion would otherwise close the connection itself when the peer's
	// DTLS closes, concurrently with it.
	se.DisableCloseByDTLS(true)
	ic := cfg.ICE.withDefaults()
	se.SetICETimeouts(ic.DisconnectedTimeout, ic.FailedTimeout, ic.KeepaliveInterval)
	switch {
	case cfg.Net != nil:
		// A virtual network has its own interfaces, and UDP only.
		se.SetNet(cfg.Net)
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	case cfg.LoopbackOnly:
		se.SetIncludeLoopbackCandidate(true)
		se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	}
	if cfg.RelayOnly {
		// ICE waits 2 s before nominating a relay pair, for a direct pair
		// to turn up; relay-only there is none to wait for.
		se.SetRelayAcceptanceMinWait(0)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	conf := webrtc.Configuration{ICEServers: iceServers(cfg.ICEServers)}
	if cfg.RelayOnly {
		conf.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	pc, err := api.NewPeerConnection(conf)
	if err != nil {
		path.pacer.Close()
		return nil, nil, fmt.Errorf("new peer connection: %w", err)
	}
	return pc, path, nil
}

func iceServers(in []proto.ICEServer) []webrtc.ICEServer {
	out := make([]webrtc.ICEServer, 0, len(in))
	for _, s := range in {
		ws := webrtc.ICEServer{URLs: s.URLs, Username: s.Username}
		if s.Credential != "" {
			ws.Credential = s.Credential
		}
		out = append(out, ws)
	}
	return out
}
