// Package devcert makes self-signed TLS certificates for running a Duet
// server on a LAN or a test machine without a certificate authority:
// clients trust the certificate itself (duet --ca cert.pem).
package devcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Options says what the certificate covers.
type Options struct {
	// Hosts are the names and IP addresses clients will dial; empty means
	// DefaultHosts.
	Hosts []string
	// Days is how long the certificate is valid (default 365).
	Days int
	// Now is the start of validity; zero means now.
	Now time.Time
}

// MaxDays bounds validity: a forgotten development certificate should
// expire some day.
const MaxDays = 825

// Cert is a generated certificate and its private key, both PEM.
type Cert struct {
	CertPEM, KeyPEM []byte
	Hosts           []string
	NotAfter        time.Time
	// Fingerprint is the SHA-256 of the certificate, as colon-separated
	// hex: what users compare to trust it.
	Fingerprint string
}

// DefaultHosts are localhost, the loopback addresses, this machine's host
// name and its non-loopback IP addresses: every name a LAN client might use.
func DefaultHosts() []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if name, err := os.Hostname(); err == nil && name != "localhost" && validHostName(name) == nil {
		hosts = append(hosts, name)
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			hosts = append(hosts, ipn.IP.String())
		}
	}
	return hosts
}

// Generate makes an ECDSA P-256 key and a self-signed server certificate
// for opts.Hosts.
func Generate(opts Options) (*Cert, error) {
	hosts := opts.Hosts
	if len(hosts) == 0 {
		hosts = DefaultHosts()
	}
	days := opts.Days
	if days == 0 {
		days = 365
	}
	if days < 0 || days > MaxDays {
		return nil, fmt.Errorf("make certificate: validity of %d days: want 1 to %d", days, MaxDays)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: hosts[0], Organization: []string{"Duet development certificate"}},
		// An hour of slack for clients whose clocks run a little behind.
		NotBefore:             now.Add(-time.Hour).UTC().Truncate(time.Second),
		NotAfter:              now.AddDate(0, 0, days).UTC().Truncate(time.Second),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	seen := map[string]bool{}
	var clean []string
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		clean = append(clean, h)
		if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if err := validHostName(h); err != nil {
			return nil, fmt.Errorf("make certificate: %w", err)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	if len(clean) == 0 {
		return nil, errors.New("make certificate: no host names or addresses")
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("make certificate: %w", err)
	}
	tmpl.SerialNumber = serial
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("make certificate key: %w", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("make certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode certificate key: %w", err)
	}
	return &Cert{
		CertPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		Hosts:       clean,
		NotAfter:    tmpl.NotAfter,
		Fingerprint: Fingerprint(der),
	}, nil
}

// validHostName accepts DNS names, including a leading wildcard label.
func validHostName(h string) error {
	if len(h) > 253 {
		return fmt.Errorf("host name %q is too long", h)
	}
	for i, label := range strings.Split(h, ".") {
		if label == "*" && i == 0 {
			continue
		}
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is neither a host name nor an IP address", h)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("%q is neither a host name nor an IP address", h)
			}
		}
	}
	return nil
}

// Fingerprint is the SHA-256 of a DER certificate as "AB:CD:…", the form
// browsers and openssl x509 -fingerprint -sha256 show.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// File names Write uses in its directory.
const (
	CertFile = "cert.pem"
	KeyFile  = "key.pem"
)

// Write saves c as dir/cert.pem and dir/key.pem (readable by the owner
// only), creating dir. It refuses to replace existing files unless force:
// clients may trust the old certificate.
func (c *Cert) Write(dir string, force bool) (certPath, keyPath string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("save certificate: %w", err)
	}
	certPath, keyPath = filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	for _, p := range []string{certPath, keyPath} {
		if _, err := os.Lstat(p); err == nil && !force {
			return "", "", fmt.Errorf("save certificate: %s exists; pass --force to replace it (clients trusting the old one need the new cert.pem)", p)
		}
	}
	if err := writeNew(keyPath, c.KeyPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(certPath, c.CertPEM, 0o644); err != nil {
		return "", "", err
	}
	return certPath, keyPath, nil
}

// writeNew replaces path with a file created with perm, so an old file's
// looser permissions never carry over to a key.
func writeNew(path string, data []byte, perm os.FileMode) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("save %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}
