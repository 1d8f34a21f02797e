package devcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, c *Cert) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(c.CertPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("certificate PEM: %q", c.CertPEM)
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestGenerate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c, err := Generate(Options{Hosts: []string{"duet.test", "10.1.2.3", "::1", "*.lan.test", "duet.test", " "}, Days: 30, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	cert := parse(t, c)
	if !slices.Equal(cert.DNSNames, []string{"duet.test", "*.lan.test"}) {
		t.Errorf("DNS names %v", cert.DNSNames)
	}
	var ips []string
	for _, ip := range cert.IPAddresses {
		ips = append(ips, ip.String())
	}
	if !slices.Equal(ips, []string{"10.1.2.3", "::1"}) {
		t.Errorf("IP addresses %v", ips)
	}
	if !slices.Equal(c.Hosts, []string{"duet.test", "10.1.2.3", "::1", "*.lan.test"}) {
		t.Errorf("hosts %v", c.Hosts)
	}
	if !cert.NotAfter.Equal(now.AddDate(0, 0, 30)) || !cert.NotBefore.Before(now) || !c.NotAfter.Equal(cert.NotAfter) {
		t.Errorf("validity %s to %s", cert.NotBefore, cert.NotAfter)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("key %T, want ECDSA P-256", cert.PublicKey)
	}
	if cert.IsCA || !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		t.Errorf("usage: CA %v, ext %v", cert.IsCA, cert.ExtKeyUsage)
	}
	if c.Fingerprint != Fingerprint(cert.Raw) || len(c.Fingerprint) != 32*3-1 {
		t.Errorf("fingerprint %q", c.Fingerprint)
	}
	if _, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
		t.Fatalf("certificate and key do not pair: %v", err)
	}

	// Trusting the certificate itself is enough for the names it has.
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	for _, host := range []string{"duet.test", "10.1.2.3", "::1", "a.lan.test"} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, CurrentTime: now}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	for _, host := range []string{"other.test", "10.1.2.4", "lan.test"} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, CurrentTime: now}); err == nil {
			t.Errorf("verified for %s, which it does not name", host)
		}
	}
}

func TestGenerateRefuses(t *testing.T) {
	for _, opts := range []Options{
		{Hosts: []string{"bad host"}},
		{Hosts: []string{"-bad.test"}},
		{Hosts: []string{"a..b"}},
		{Hosts: []string{" ", ""}},
		{Hosts: []string{"ok.test"}, Days: MaxDays + 1},
		{Hosts: []string{"ok.test"}, Days: -1},
	} {
		if _, err := Generate(opts); err == nil {
			t.Errorf("Generate(%+v) succeeded", opts)
		}
	}
}

func TestDefaultHosts(t *testing.T) {
	hosts := DefaultHosts()
	for _, want := range []string{"localhost", "127.0.0.1", "::1"} {
		if !slices.Contains(hosts, want) {
			t.Errorf("default hosts %v lack %s", hosts, want)
		}
	}
	if name, err := os.Hostname(); err == nil && !slices.Contains(hosts, name) {
		t.Errorf("default hosts %v lack the host name %s", hosts, name)
	}
	for _, h := range hosts[3:] {
		if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
			t.Errorf("default hosts repeat a loopback address: %v", hosts)
		}
	}
	c, err := Generate(Options{})
	if err != nil {
		t.Fatalf("certificate for the default hosts: %v", err)
	}
	if !slices.Equal(c.Hosts, hosts) {
		t.Errorf("certificate hosts %v, default %v", c.Hosts, hosts)
	}
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	c, err := Generate(Options{Hosts: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath, err := c.Write(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.LoadX509KeyPair(certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(keyPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", info.Mode(), err)
	}
	if _, _, err := c.Write(dir, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrite without force: %v", err)
	}
	// A key file left readable by others does not stay so when replaced.
	os.Chmod(keyPath, 0o644)
	c2, err := Generate(Options{Hosts: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c2.Write(dir, true); err != nil {
		t.Fatal(err)
	}
	info, err = os.Stat(keyPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("replaced key file mode %v (%v), want 0600", info.Mode(), err)
	}
	got, _ := os.ReadFile(certPath)
	if string(got) != string(c2.CertPEM) {
		t.Fatal("cert.pem not replaced")
	}
}
