package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"duet/call/server"
)

// DefaultHostPort is the port HostLAN listens on unless it is taken: the
// same as `duet serve`, so guests can guess it.
const DefaultHostPort = 7600

// ErrNoLAN is returned when this computer has no address on a network.
var ErrNoLAN = errors.New("this computer is not connected to a network (no default route with an IPv4 address) — connect to the LAN or Wi-Fi and try again")

// ErrBuiltIn refuses to invite a built-in contact's name.
var ErrBuiltIn = errors.New("that name belongs to a built-in contact")

// LANAddr is this computer's IPv4 address on the network of its default
// route: the one others on the LAN can reach.
func LANAddr() (netip.Addr, error) {
	// Connecting a UDP socket sends nothing; it only makes the kernel pick
	// the route, and with it the source address, towards the internet.
	c, err := net.Dial("udp4", "1.1.1.1:53")
	if err != nil {
		return netip.Addr{}, fmt.Errorf("find LAN address: %w: %v", ErrNoLAN, err)
	}
	defer c.Close()
	ap, err := netip.ParseAddrPort(c.LocalAddr().String())
	if err != nil {
		return netip.Addr{}, fmt.Errorf("find LAN address: %w", err)
	}
	a := ap.Addr().Unmap()
	if !a.Is4() || a.IsLoopback() || a.IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("find LAN address: %w: got %s", ErrNoLAN, a)
	}
	return a, nil
}

// HostLAN hosts the server on this computer's LAN address, port
// DefaultHostPort or a free one if that is taken, and returns the URL
// others sign in to.
func (l *Local) HostLAN() (string, error) {
	a, err := LANAddr()
	if err != nil {
		return "", err
	}
	return l.Host(netip.AddrPortFrom(a, DefaultHostPort).String())
}

// Host makes the server reachable at addr (host:port) too, for other
// computers, and returns the URL they sign in to. Signing in there takes
// the token of an account made with Invite: nobody on the network can sign
// in as this computer's user, a built-in contact or a made-up name. The
// loopback side stays open for this computer's user. When addr's port is
// taken, a free port on the same address is used. Guests get a TURN relay
// on addr's IP, for their "Always relay". While hosting, the built-in
// contacts' new calls may use the LAN, so that guests can call them too.
// Hosting while hosting returns the current URL.
func (l *Local) Host(addr string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return "", errors.New("host: the embedded server is closed")
	case l.hosting != nil:
		return l.hostURL, nil
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		host, _, _ := net.SplitHostPort(addr)
		l.log.Info("host: port taken; using a free one", "addr", addr)
		ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
	}
	if err != nil {
		return "", fmt.Errorf("host on %s: %w", addr, err)
	}
	lc := server.ListenerConfig{RequireToken: true}
	if ip := ln.Addr().(*net.TCPAddr).IP; ip.To4() != nil && !ip.IsUnspecified() {
		lc.TURN = &server.TURNConfig{Addr: net.JoinHostPort(ip.String(), "0"), PublicIP: ip, NoTCP: true}
	} else {
		l.log.Warn("host: guests get no relay: it needs one IPv4 address to be reached at", "addr", ln.Addr())
	}
	hl, err := l.srv.ServeListener(ln, lc)
	if err != nil {
		return "", fmt.Errorf("host on %s: %w", addr, err)
	}
	l.hosting = hl
	l.hostURL = "ws://" + hl.Addr().String() + "/ws"
	l.lanICE.Store(true)
	l.log.Info("hosting", "url", l.hostURL)
	return l.hostURL, nil
}

// HostingURL is the URL guests sign in to, or "" when not hosting.
func (l *Local) HostingURL() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hostURL
}

// StopHosting closes the LAN listener and the guests' relay: the calls of
// guests end and they are disconnected; this computer's user stays signed
// in. The built-in contacts' new calls stay on loopback again. Stopping
// when not hosting does nothing.
func (l *Local) StopHosting() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hosting == nil || l.closed {
		return nil
	}
	err := l.hosting.Close()
	l.hosting, l.hostURL = nil, ""
	l.lanICE.Store(false)
	l.log.Info("stopped hosting")
	if err != nil {
		return fmt.Errorf("stop hosting: %w", err)
	}
	return nil
}

// Invite creates the account name with a token for a guest, or gives an
// account invited before a new token (the old one stops working), and
// returns the token.
func (l *Local) Invite(ctx context.Context, name string) (string, error) {
	if name == EchoAccount || name == TestBotAccount {
		return "", fmt.Errorf("invite %s: %w", name, ErrBuiltIn)
	}
	token, err := l.srv.AddAccount(ctx, name)
	if err != nil {
		return "", fmt.Errorf("invite: %w", err)
	}
	l.log.Info("invited", "account", name)
	return token, nil
}
