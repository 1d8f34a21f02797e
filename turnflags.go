package main

import (
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"duet/call/server"
)

// turnFlags are duet serve's TURN relay flags.
type turnFlags struct {
	fs       *flag.FlagSet
	addr     string
	publicIP string
	ports    string
	ttl      time.Duration
	quota    int
	off      bool
}

func addTURNFlags(fs *flag.FlagSet) *turnFlags {
	f := &turnFlags{fs: fs}
	fs.StringVar(&f.addr, "turn-addr", ":3478", "TURN relay address, UDP and TCP: relays media between peers that cannot reach each other, and for devices that always relay")
	fs.StringVar(&f.publicIP, "turn-public-ip", "", "IPv4 address clients reach the TURN relay at (default: this machine's primary address)")
	fs.StringVar(&f.ports, "turn-relay-ports", "49152-65535", "port range of the relay sockets (open it in the firewall)")
	fs.DurationVar(&f.ttl, "turn-ttl", server.DefaultTURNCredentialTTL, "lifetime of the TURN credentials handed to devices, counted from each call's start: a longer call loses its relay")
	fs.IntVar(&f.quota, "turn-quota", server.DefaultTURNAllocationsPerAccount, "relays one account may hold at once (a device in a call holds about two)")
	fs.BoolVar(&f.off, "no-turn", false, "do not run the TURN relay")
	return f
}

// explicit reports whether any TURN flag was given: a relay asked for
// must start, the default one may give way to a busy port.
func (f *turnFlags) explicit() bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) {
		if strings.HasPrefix(fl.Name, "turn-") {
			set = true
		}
	})
	return set
}

// config is the server's TURN config, or nil with --no-turn.
func (f *turnFlags) config() (*server.TURNConfig, error) {
	if f.off {
		return nil, nil
	}
	ip := server.PrimaryIPv4()
	if f.publicIP != "" {
		ip = net.ParseIP(f.publicIP).To4()
		if ip == nil {
			return nil, fmt.Errorf("--turn-public-ip %q is not an IPv4 address", f.publicIP)
		}
	}
	lo, hi, ok := strings.Cut(f.ports, "-")
	min, err1 := strconv.ParseUint(lo, 10, 16)
	max, err2 := strconv.ParseUint(hi, 10, 16)
	if !ok || err1 != nil || err2 != nil || min == 0 || max < min {
		return nil, fmt.Errorf("--turn-relay-ports %q: want a range like 49152-65535", f.ports)
	}
	if f.ttl < time.Minute {
		return nil, fmt.Errorf("--turn-ttl %s: want at least a minute, better hours: calls lose their relay when it ends", f.ttl)
	}
	if f.quota < 1 {
		return nil, fmt.Errorf("--turn-quota %d: want at least 1, better 4 or more: a device in a call holds about two relays", f.quota)
	}
	return &server.TURNConfig{Addr: f.addr, PublicIP: ip, RelayMinPort: uint16(min), RelayMaxPort: uint16(max),
		CredentialTTL: f.ttl, MaxAllocationsPerAccount: f.quota}, nil
}
