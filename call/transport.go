package call

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// ServerURL turns what a user typed into the websocket URL to dial: a bare
// "host:port" means wss://host:port/ws (TLS unless asked otherwise), except
// on loopback, where `duet serve` listens without TLS by default; http(s)
// becomes ws(s), and a missing path becomes /ws.
func ServerURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("no server address; use e.g. wss://duet.example.com:7600/ws or host:port")
	}
	if !strings.Contains(s, "://") {
		scheme := "wss://"
		if isLoopbackHost(s) {
			scheme = "ws://"
		}
		s = scheme + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%q is not a server address; use e.g. wss://host:7600/ws or host:port", s)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("%q is not a server address; use wss:// (or ws:// for a server without TLS)", s)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/ws"
	}
	return u.String(), nil
}

// isLoopbackHost reports whether a bare "host[:port][/path]" names this
// machine.
func isLoopbackHost(bare string) bool {
	host, _, _ := strings.Cut(bare, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoadCA returns the system's trusted roots plus the certificates in the
// PEM file at path, e.g. a development server's cert.pem.
func LoadCA(path string) (*x509.CertPool, error) {
	pemData, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("read CA file %s: no PEM certificate in it (pass the server's cert.pem, not its key)", path)
	}
	return pool, nil
}

// ErrCertificate wraps dial errors caused by the server's TLS certificate.
var ErrCertificate = errors.New("server certificate not trusted")

// ErrTLSMismatch wraps dial errors where the URL and the server disagree on
// TLS: wss:// to a server without it, or ws:// to one with it.
var ErrTLSMismatch = errors.New("the server and the address disagree on TLS")

// dialClient returns the HTTP client that dials the websocket, and a func
// to release its idle connections (a refused handshake leaves one).
func dialClient(cfg Config) (*http.Client, func()) {
	if cfg.HTTPClient != nil {
		return cfg.HTTPClient, func() {}
	}
	if cfg.RootCAs == nil {
		return http.DefaultClient, func() {}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}, tr.CloseIdleConnections
}

// dialError explains a failed websocket handshake in terms a user can act on.
func dialError(rawURL string, resp *http.Response, err error) error {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var notTLS tls.RecordHeaderError
	switch {
	case errors.As(err, &host):
		return fmt.Errorf("dial signaling %s: %w: %w; the certificate does not name this host: make one that does (duet cert --host %s) or dial a name it has",
			rawURL, ErrCertificate, err, hostname(rawURL))
	case errors.As(err, &unknown):
		return fmt.Errorf("dial signaling %s: %w: %w; if the server uses a development certificate (duet cert), trust it with --ca cert.pem",
			rawURL, ErrCertificate, err)
	case errors.As(err, &invalid):
		return fmt.Errorf("dial signaling %s: %w: %w; check the certificate's dates and this machine's clock",
			rawURL, ErrCertificate, err)
	// net/http turns the record error into text when the reply looks like HTTP.
	case errors.As(err, &notTLS), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("dial signaling %s: %w: the server does not speak TLS; dial ws:// instead of wss:// (or serve with --tls-cert and --tls-key): %w",
			rawURL, ErrTLSMismatch, err)
	}
	if resp != nil {
		switch resp.StatusCode {
		case http.StatusBadRequest:
			if speaksTLS(resp) {
				return fmt.Errorf("dial signaling %s: %w: the server speaks TLS; dial wss:// instead of ws://", rawURL, ErrTLSMismatch)
			}
		case http.StatusForbidden:
			return fmt.Errorf("dial signaling %s: the server refused this client's origin (HTTP 403)", rawURL)
		case http.StatusTooManyRequests:
			return fmt.Errorf("dial signaling %s: too many connections from this address have not signed in yet (HTTP 429); try again shortly", rawURL)
		case http.StatusServiceUnavailable:
			return fmt.Errorf("dial signaling %s: the server is busy or shutting down (HTTP 503); try again shortly", rawURL)
		}
	}
	return fmt.Errorf("dial signaling %s: %w", rawURL, err)
}

// speaksTLS reports whether a refused handshake is net/http's answer to
// plain HTTP on a TLS port.
func speaksTLS(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	// The websocket library keeps only the start of the body.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return strings.Contains(string(body), "HTTP request to an HTTPS server")
}

func hostname(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		if h, _, err := net.SplitHostPort(u.Host); err == nil {
			return h
		}
		return u.Host
	}
	return rawURL
}
