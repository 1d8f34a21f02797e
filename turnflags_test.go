package main

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTURNFlags(t *testing.T) {
	for _, c := range []struct {
		args     []string
		err      string // part of the error; "" for none
		off      bool
		explicit bool
	}{
		{args: nil},
		{args: []string{"--no-turn"}, off: true},
		{args: []string{"--turn-addr", "127.0.0.1:3479", "--turn-public-ip", "203.0.113.7"}, explicit: true},
		{args: []string{"--turn-public-ip", "::1"}, err: "not an IPv4 address"},
		{args: []string{"--turn-public-ip", "relay.example.org"}, err: "not an IPv4 address"},
		{args: []string{"--turn-relay-ports", "50000-40000"}, err: "want a range"},
		{args: []string{"--turn-relay-ports", "0-100"}, err: "want a range"},
		{args: []string{"--turn-relay-ports", "40000"}, err: "want a range"},
		{args: []string{"--turn-relay-ports", "40000-70000"}, err: "want a range"},
		{args: []string{"--turn-ttl", "10s"}, err: "at least a minute"},
		{args: []string{"--turn-quota", "0"}, err: "at least 1"},
		{args: []string{"--turn-quota", "4"}, explicit: true},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := addTURNFlags(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		cfg, err := f.config()
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: error %v, want one saying %q", c.args, err, c.err)
			}
			continue
		case err != nil:
			t.Errorf("%v: %v", c.args, err)
			continue
		case (cfg == nil) != c.off:
			t.Errorf("%v: config %+v, want off=%t", c.args, cfg, c.off)
			continue
		case f.explicit() != c.explicit:
			t.Errorf("%v: explicit=%t", c.args, f.explicit())
		}
		if cfg != nil && (cfg.PublicIP.To4() == nil || cfg.RelayMinPort != 49152 || cfg.RelayMaxPort != 65535 || cfg.CredentialTTL != 24*time.Hour) {
			t.Errorf("%v: defaults %+v", c.args, cfg)
		}
		wantQuota := 16
		if slices.Contains(c.args, "--turn-quota") {
			wantQuota = 4
		}
		if cfg != nil && cfg.MaxAllocationsPerAccount != wantQuota {
			t.Errorf("%v: quota %d, want %d", c.args, cfg.MaxAllocationsPerAccount, wantQuota)
		}
	}
}
