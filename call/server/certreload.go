package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certCheckEvery is how often a handshake may look at the certificate
// files: a renewed certificate is served within this, and a busy server
// stats the files at most this often.
const certCheckEvery = time.Second

// certFiles serves a certificate and key from files and takes a renewed
// pair (certbot, a cron job) without a restart. A pair that fails to load,
// say because only one of the two has been written so far, is logged and
// the previous one served until the files change again. Safe for
// concurrent use: it is the TLS config's GetCertificate.
type certFiles struct {
	certPath, keyPath string
	log               *slog.Logger

	mu        sync.Mutex
	cert      *tls.Certificate // guarded by mu: the pair being served
	seen      [2]fileStamp     // guarded by mu: the files when last loaded or tried
	lastCheck time.Time        // guarded by mu
}

// fileStamp tells whether a file changed.
type fileStamp struct {
	modTime time.Time
	size    int64
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{fi.ModTime(), fi.Size()}
}

// loadCertFiles reads the pair once; a server does not start without it.
func loadCertFiles(certPath, keyPath string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certPath: certPath, keyPath: keyPath, log: log}
	c.seen = [2]fileStamp{stampOf(certPath), stampOf(keyPath)}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s and key %s: %w (duet cert makes a development pair)",
			certPath, keyPath, err)
	}
	c.cert, c.lastCheck = &cert, time.Now()
	return c, nil
}

// get is tls.Config.GetCertificate.
func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.lastCheck) >= certCheckEvery {
		c.lastCheck = now
		c.reloadIfChanged()
	}
	return c.cert, nil
}

// reloadIfChanged loads the pair again when either file changed. Called
// with mu held.
func (c *certFiles) reloadIfChanged() {
	stamps := [2]fileStamp{stampOf(c.certPath), stampOf(c.keyPath)}
	if stamps == c.seen {
		return
	}
	c.seen = stamps
	cert, err := tls.LoadX509KeyPair(c.certPath, c.keyPath)
	if err != nil {
		c.log.Warn("TLS certificate changed but does not load; serving the previous one until the files change again",
			"cert", c.certPath, "key", c.keyPath, "err", err)
		return
	}
	c.cert = &cert
	c.log.Info("TLS certificate reloaded", "cert", c.certPath, "notAfter", cert.Leaf.NotAfter)
}
