package call

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"duet/call/devcert"
)

func TestServerURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"duet.example.com:7600", "wss://duet.example.com:7600/ws"},
		{" 192.168.1.10:7600 ", "wss://192.168.1.10:7600/ws"},
		{"[::1]:7600", "ws://[::1]:7600/ws"}, // loopback: duet serve's plain default
		{"127.0.0.1:7600", "ws://127.0.0.1:7600/ws"},
		{"localhost:7600/duet", "ws://localhost:7600/duet"},
		{"wss://localhost:7600", "wss://localhost:7600/ws"},
		{"[2001:db8::1]:7600", "wss://[2001:db8::1]:7600/ws"},
		{"duet.example.com", "wss://duet.example.com/ws"},
		{"ws://127.0.0.1:7600", "ws://127.0.0.1:7600/ws"},
		{"ws://127.0.0.1:7600/", "ws://127.0.0.1:7600/ws"},
		{"wss://h:1/ws", "wss://h:1/ws"},
		{"wss://h:1/duet/ws", "wss://h:1/duet/ws"},
		{"http://h:1", "ws://h:1/ws"},
		{"https://h:1", "wss://h:1/ws"},
	} {
		got, err := ServerURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ServerURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "  ", "ftp://h:1", "wss://", "ws:///ws", "://x"} {
		if got, err := ServerURL(in); err == nil {
			t.Errorf("ServerURL(%q) = %q, want an error", in, got)
		}
	}
}

func TestLoadCA(t *testing.T) {
	dir := t.TempDir()
	c, err := devcert.Generate(devcert.Options{Hosts: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath, err := c.Write(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCA(certPath); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCA(keyPath); err == nil || !strings.Contains(err.Error(), "not its key") {
		t.Fatalf("LoadCA of the key: %v", err)
	}
	if _, err := LoadCA(filepath.Join(dir, "missing.pem")); err == nil {
		t.Fatal("LoadCA of a missing file succeeded")
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, nil, 0o644)
	if _, err := LoadCA(empty); err == nil {
		t.Fatal("LoadCA of an empty file succeeded")
	}
}
