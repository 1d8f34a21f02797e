package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path"
	"strings"

	"github.com/coder/websocket"
)

// loadTLS reads the certificate and key Serve uses for wss://, and takes
// them again when they are renewed; nil when neither is configured.
func loadTLS(cfg Config) (*tls.Config, error) {
	if cfg.TLSCertFile == "" && cfg.TLSKeyFile == "" {
		return nil, nil
	}
	if cfg.TLSCertFile == "" || cfg.TLSKeyFile == "" {
		return nil, errors.New("TLS needs both a certificate and a key file")
	}
	files, err := loadCertFiles(cfg.TLSCertFile, cfg.TLSKeyFile, cfg.Logger)
	if err != nil {
		return nil, err
	}
	return &tls.Config{GetCertificate: files.get, MinVersion: tls.VersionTLS12}, nil
}

// acceptOptions checks browser origins: websocket.Accept lets in clients
// that send no Origin (native ones) and pages from the server's own host,
// and refuses other pages with 403 unless a pattern names them, so no web
// page can use a visitor's browser to reach the server.
func acceptOptions(patterns []string) (*websocket.AcceptOptions, error) {
	for _, p := range patterns {
		// The wildcard alone would undo the check; say so rather than
		// silently allowing every site.
		if strings.TrimSpace(p) == "" || p == "*" || p == "*://*" {
			return nil, fmt.Errorf("origin pattern %q would allow every web page; name the sites, e.g. app.example.com or *.example.com", p)
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("origin pattern %q: %w", p, err)
		}
	}
	return heardOn(websocket.AcceptOptions{OriginPatterns: patterns}), nil
}

// exposedPlain reports whether a plain-text listener is reachable from
// other machines: tokens and signaling would cross the network unencrypted.
func exposedPlain(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return false
	}
	return !tcp.IP.IsLoopback()
}
