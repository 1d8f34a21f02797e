package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/pion/turn/v5"

	"duet/call/internal/pionlog"
	"duet/call/proto"
)

// TURNConfig configures the embedded TURN server, which relays media for
// peers that cannot reach each other directly or do not want to show each
// other their addresses.
type TURNConfig struct {
	// Addr is where TURN listens, UDP and (unless NoTCP) TCP on the same
	// port, e.g. ":3478". Port 0 picks a free one.
	Addr string
	// PublicIP is the address peers reach the relay at: it is in the
	// relay candidates and in the turn: URLs handed to clients.
	PublicIP net.IP
	// RelayMinPort and RelayMaxPort bound the relay sockets' ports,
	// inclusive; zero takes 49152–65535. Each relayed call uses one per side.
	RelayMinPort, RelayMaxPort uint16
	// CredentialTTL is how long handed-out credentials stay valid; zero
	// takes DefaultTURNCredentialTTL. See turncreds.go for the choice.
	CredentialTTL time.Duration
	// NoTCP serves TURN over UDP only.
	NoTCP bool
	// MaxAllocationsPerAccount bounds the relays one account holds at
	// once; zero takes DefaultTURNAllocationsPerAccount.
	MaxAllocationsPerAccount int
}

// turnRealm is the realm of TURN's long-term credentials.
const turnRealm = "duet"

// turnCloseLimit bounds the wait for the TURN server's goroutines.
const turnCloseLimit = 5 * time.Second

// turnRelay is the running TURN server. Safe for concurrent use; the owner
// must call close.
type turnRelay struct {
	srv     *turn.Server
	creds   turnCreds
	urls    []string
	addr    net.Addr // the UDP socket's
	tracker *connTracker
	quota   *allocQuota
	log     *slog.Logger
}

// startTURN listens and serves TURN with credentials signed by secret.
func startTURN(cfg TURNConfig, secret []byte, log *slog.Logger) (*turnRelay, error) {
	if cfg.PublicIP == nil || cfg.PublicIP.To4() == nil {
		return nil, fmt.Errorf("start turn: public IP %v is not an IPv4 address", cfg.PublicIP)
	}
	if cfg.RelayMinPort == 0 && cfg.RelayMaxPort == 0 {
		cfg.RelayMinPort, cfg.RelayMaxPort = 49152, 65535
	}
	if cfg.RelayMinPort == 0 || cfg.RelayMaxPort < cfg.RelayMinPort {
		return nil, fmt.Errorf("start turn: bad relay port range %d-%d", cfg.RelayMinPort, cfg.RelayMaxPort)
	}
	if cfg.CredentialTTL <= 0 {
		cfg.CredentialTTL = DefaultTURNCredentialTTL
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("start turn: address %q: %w", cfg.Addr, err)
	}
	udp, tcp, err := listenTURN(cfg.Addr, !cfg.NoTCP)
	if err != nil {
		return nil, err
	}
	r := &turnRelay{creds: turnCreds{secret: secret, ttl: cfg.CredentialTTL}, tracker: newConnTracker(),
		quota: newAllocQuota(cfg.MaxAllocationsPerAccount), log: log.With("part", "turn")}
	relayHost := host
	if relayHost == "" {
		relayHost = "0.0.0.0"
	}
	relays := relayPorts{t: r.tracker, inner: &turn.RelayAddressGeneratorPortRange{
		RelayAddress: cfg.PublicIP, Address: relayHost, MinPort: cfg.RelayMinPort, MaxPort: cfg.RelayMaxPort}}
	permit := r.permission(cfg.PublicIP)
	scfg := turn.ServerConfig{
		Realm:         turnRealm,
		AuthHandler:   r.authenticate,
		QuotaHandler:  r.allowAllocation,
		LoggerFactory: pionlog.Factory{Log: r.log},
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: r.tracker.packetConn(udp, false),
			RelayAddressGenerator: relays, PermissionHandler: permit}},
		EventHandler: turn.EventHandler{
			OnAllocationCreated: func(src, _ net.Addr, transport, user, _ string, relay net.Addr, _ int) {
				r.quota.created(user)
				r.log.Debug("relay allocated", "client", src, "transport", transport, "user", user, "relay", relay)
			},
			OnAllocationDeleted: func(src, _ net.Addr, transport, user, _ string) {
				r.quota.deleted(user)
				r.log.Debug("relay released", "client", src, "transport", transport, "user", user)
			},
		},
	}
	r.addr = udp.LocalAddr()
	port := udp.LocalAddr().(*net.UDPAddr).Port
	ip := cfg.PublicIP.String()
	r.urls = []string{"turn:" + net.JoinHostPort(ip, strconv.Itoa(port)) + "?transport=udp"}
	if tcp != nil {
		scfg.ListenerConfigs = []turn.ListenerConfig{{Listener: r.tracker.listener(tcp),
			RelayAddressGenerator: relays, PermissionHandler: permit}}
		r.urls = append(r.urls, "turn:"+net.JoinHostPort(ip, strconv.Itoa(port))+"?transport=tcp")
	}
	srv, err := turn.NewServer(scfg)
	if err != nil {
		// Any read loop already started ends on its closed socket.
		udp.Close()
		if tcp != nil {
			tcp.Close()
		}
		return nil, fmt.Errorf("start turn: %w", err)
	}
	r.srv = srv
	r.log.Info("turn serving", "addr", udp.LocalAddr(), "tcp", tcp != nil, "public_ip", ip,
		"relay_ports", fmt.Sprintf("%d-%d", cfg.RelayMinPort, cfg.RelayMaxPort), "credential_ttl", cfg.CredentialTTL)
	return r, nil
}

// listenTURN opens the UDP socket and, with withTCP, a TCP listener on the
// same port. With port 0 the UDP port is picked first and TCP follows it;
// another process may hold that TCP port, so a few picks are tried.
func listenTURN(addr string, withTCP bool) (net.PacketConn, net.Listener, error) {
	host, port, _ := net.SplitHostPort(addr)
	for try := 0; ; try++ {
		udp, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen turn udp %s: %w", addr, err)
		}
		if !withTCP {
			return udp, nil, nil
		}
		tcpAddr := net.JoinHostPort(host, strconv.Itoa(udp.LocalAddr().(*net.UDPAddr).Port))
		tcp, err := net.Listen("tcp4", tcpAddr)
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if port != "0" || try == 5 {
			return nil, nil, fmt.Errorf("listen turn tcp %s: %w", tcpAddr, err)
		}
	}
}

// authenticate is pion/turn's AuthHandler: it refuses any username that is
// not an unexpired credential of ours, and otherwise returns the key the
// request's MESSAGE-INTEGRITY must match, which only the holder of the
// password handed out with that username can produce.
func (r *turnRelay) authenticate(ra *turn.RequestAttributes) (string, []byte, bool) {
	account, password, err := r.creds.check(ra.Username, time.Now())
	if err != nil {
		r.log.Info("turn credentials refused", "client", ra.SrcAddr, "user", ra.Username, "err", err)
		return "", nil, false
	}
	return account, turn.GenerateAuthKey(ra.Username, ra.Realm, password), true
}

// allowAllocation is pion/turn's QuotaHandler: past the account's quota
// the client gets 486 Allocation Quota Reached, and the log says why.
func (r *turnRelay) allowAllocation(username, _ string, src net.Addr) bool {
	if r.quota.allows(username) {
		return true
	}
	r.log.Warn("turn allocation refused: the account holds its maximum of relays",
		"client", src, "account", turnAccount(username), "max", r.quota.max)
	return false
}

// permission keeps the relay from reaching the TURN host's own loopback
// services, unless the relay itself is on loopback (tests, one machine).
func (r *turnRelay) permission(public net.IP) turn.PermissionHandler {
	return func(client net.Addr, peer net.IP) bool {
		ok := !peer.IsUnspecified() && !peer.IsMulticast() && (!peer.IsLoopback() || public.IsLoopback())
		if !ok {
			r.log.Info("turn permission refused", "client", client, "peer", peer)
		}
		return ok
	}
}

// iceServer is the TURN server with fresh credentials for account.
func (r *turnRelay) iceServer(account string, now time.Time) proto.ICEServer {
	user, pass := r.creds.issue(account, now)
	return proto.ICEServer{URLs: append([]string(nil), r.urls...), Username: user, Credential: pass}
}

// close stops serving, releases every relay and waits for the TURN
// server's goroutines.
func (r *turnRelay) close() error {
	err := r.srv.Close()
	if !r.tracker.close(turnCloseLimit) {
		err = errors.Join(err, fmt.Errorf("read loops still running after %s", turnCloseLimit))
	}
	if err != nil {
		return fmt.Errorf("close turn: %w", err)
	}
	return nil
}

// newTURN starts the TURN server with the database's secret.
func newTURN(cfg TURNConfig, st *store, log *slog.Logger) (*turnRelay, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	secret, err := st.turnSecret(ctx)
	if err != nil {
		return nil, fmt.Errorf("start turn: %w", err)
	}
	return startTURN(cfg, secret, log)
}

// iceServersFor is what sess gets to build peer connections with: the
// configured servers and fresh credentials for its relays. Never nil.
func (s *Server) iceServersFor(sess *session) []proto.ICEServer {
	out := append([]proto.ICEServer{}, s.cfg.ICEServers...)
	now := time.Now()
	for _, r := range s.relaysFor(sess) {
		out = append(out, r.iceServer(sess.account, now))
	}
	return out
}

// relaysFor is the embedded relays sess can use. A client that came in
// through a listener with a relay of its own uses that one: the server's
// may be out of its reach. A client of the server's own listeners gets the
// server's relay and the other listeners' too, so that it can reach their
// clients relay to relay.
func (s *Server) relaysFor(sess *session) []*turnRelay {
	if sess.via != nil && sess.via.turn != nil {
		return []*turnRelay{sess.via.turn}
	}
	var relays []*turnRelay
	if s.turn != nil {
		relays = append(relays, s.turn)
	}
	if sess.via == nil {
		s.mu.Lock()
		for l := range s.listeners {
			if l.turn != nil && !l.closed {
				relays = append(relays, l.turn)
			}
		}
		s.mu.Unlock()
	}
	return relays
}

// TURNAddr is the embedded TURN server's UDP address, or nil without one.
func (s *Server) TURNAddr() net.Addr {
	if s.turn == nil {
		return nil
	}
	return s.turn.addr
}
