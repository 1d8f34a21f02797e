package server_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"duet/call"
	"duet/call/devcert"
	"duet/call/server"
)

// A renewed certificate is served without a restart; a pair caught half
// written is not, and the previous one goes on.
func TestTLSCertificateRenewed(t *testing.T) {
	certPath, keyPath := devCert(t, "127.0.0.1")
	e := newEnv(t, func(c *server.Config) { c.TLSCertFile, c.TLSKeyFile = certPath, keyPath })
	trusting := func(certFile string) call.Config {
		roots, err := call.LoadCA(certFile)
		if err != nil {
			t.Fatal(err)
		}
		return call.Config{ServerURL: e.url, RootCAs: roots, Account: "alice", Token: e.tokens["alice"], DeviceID: "a1"}
	}
	oldCert := filepath.Join(t.TempDir(), "old.pem")
	copyFile(t, certPath, oldCert)
	signIn := func(cfg call.Config) error {
		c, err := dialWith(t, cfg)
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := signIn(trusting(oldCert)); err != nil {
		t.Fatal(err)
	}

	// Renewal: a new key and certificate over the old files.
	renewed, err := devcert.Generate(devcert.Options{Hosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := renewed.Write(filepath.Dir(certPath), true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the renewed certificate served", func() bool { return signIn(trusting(certPath)) == nil })
	if err := signIn(trusting(oldCert)); !errors.Is(err, call.ErrCertificate) {
		t.Fatalf("trusting only the old certificate: got %v, want ErrCertificate", err)
	}

	// A key file caught half written does not load; the renewed pair stays.
	if err := os.WriteFile(keyPath, []byte("-----BEGIN EC PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // past the next look at the files
	if err := signIn(trusting(certPath)); err != nil {
		t.Fatalf("after a broken key file: %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
