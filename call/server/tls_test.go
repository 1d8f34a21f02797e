package server_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"duet/call"
	"duet/call/devcert"
	"duet/call/leaktest"
	"duet/call/proto"
	"duet/call/server"
)

// devCert writes a development certificate for hosts into a temporary
// directory and returns its paths.
func devCert(t *testing.T, hosts ...string) (certPath, keyPath string) {
	t.Helper()
	c, err := devcert.Generate(devcert.Options{Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath, err = c.Write(filepath.Join(t.TempDir(), "tls"), false)
	if err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

func tlsEnv(t *testing.T, hosts ...string) (*env, string) {
	certPath, keyPath := devCert(t, hosts...)
	e := newEnv(t, func(c *server.Config) { c.TLSCertFile, c.TLSKeyFile = certPath, keyPath })
	return e, certPath
}

func dialWith(t *testing.T, cfg call.Config) (*call.Client, error) {
	t.Helper()
	c, err := call.Dial(ctx(t), cfg)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func TestTLSSignIn(t *testing.T) {
	e, certPath := tlsEnv(t, "localhost", "127.0.0.1")
	if !strings.HasPrefix(e.url, "wss://") {
		t.Fatalf("url %s", e.url)
	}
	roots, err := call.LoadCA(certPath)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(e.addr)
	for _, url := range []string{e.url, "wss://localhost:" + port + "/ws"} {
		c, err := dialWith(t, call.Config{ServerURL: url, RootCAs: roots, Account: "alice", Token: e.tokens["alice"], DeviceID: "a1"})
		if err != nil {
			t.Fatalf("sign in over %s trusting the certificate: %v", url, err)
		}
		if _, err := c.Contacts(ctx(t)); err != nil {
			t.Fatalf("contacts over %s: %v", url, err)
		}
		c.Close()
	}

	// The system roots do not know a development certificate.
	_, err = dialWith(t, call.Config{ServerURL: e.url, Account: "alice", Token: e.tokens["alice"]})
	if !errors.Is(err, call.ErrCertificate) || !strings.Contains(err.Error(), "--ca") {
		t.Fatalf("sign in without trusting the certificate: want ErrCertificate saying to use --ca, got %v", err)
	}
	// Nor does trusting another certificate help.
	other, _ := devCert(t, "127.0.0.1")
	otherRoots, err := call.LoadCA(other)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dialWith(t, call.Config{ServerURL: e.url, RootCAs: otherRoots, Account: "alice", Token: e.tokens["alice"]})
	if !errors.Is(err, call.ErrCertificate) {
		t.Fatalf("sign in trusting another certificate: want ErrCertificate, got %v", err)
	}
	// Plain ws:// to a TLS server gets nowhere, and says what to dial.
	_, err = dialWith(t, call.Config{ServerURL: "ws://" + e.addr + "/ws", Account: "alice", Token: e.tokens["alice"]})
	if !errors.Is(err, call.ErrTLSMismatch) || !strings.Contains(err.Error(), "dial wss://") {
		t.Fatalf("plain ws:// to a TLS server: want ErrTLSMismatch saying to dial wss://, got %v", err)
	}
}

// wss:// to a server without TLS says to dial ws://.
func TestTLSToAPlainServer(t *testing.T) {
	e := newEnv(t, nil)
	_, err := dialWith(t, call.Config{ServerURL: "wss" + strings.TrimPrefix(e.url, "ws"), Account: "alice", Token: e.tokens["alice"]})
	if !errors.Is(err, call.ErrTLSMismatch) || !strings.Contains(err.Error(), "dial ws://") {
		t.Fatalf("wss:// to a plain server: want ErrTLSMismatch saying to dial ws://, got %v", err)
	}
}

func TestTLSWrongHost(t *testing.T) {
	e, certPath := tlsEnv(t, "duet.example.test")
	roots, err := call.LoadCA(certPath)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dialWith(t, call.Config{ServerURL: e.url, RootCAs: roots, Account: "alice", Token: e.tokens["alice"]})
	if !errors.Is(err, call.ErrCertificate) || !strings.Contains(err.Error(), "duet cert --host 127.0.0.1") {
		t.Fatalf("dial a host the certificate does not name: want ErrCertificate saying how to fix it, got %v", err)
	}
}

func TestWSSToPlainServer(t *testing.T) {
	e := newEnv(t, nil)
	_, err := dialWith(t, call.Config{ServerURL: "wss://" + e.addr + "/ws", Account: "alice", Token: e.tokens["alice"]})
	if err == nil || !strings.Contains(err.Error(), "does not speak TLS") {
		t.Fatalf("wss:// to a plain server: want an error saying it does not speak TLS, got %v", err)
	}
}

func TestNewRejectsBadTLS(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := devCert(t, "localhost")
	otherCert, _ := devCert(t, "localhost")
	for _, tc := range []struct {
		name       string
		cert, key  string
		wantInText string
	}{
		{"cert without key", certPath, "", "both"},
		{"missing files", filepath.Join(dir, "nope.pem"), filepath.Join(dir, "nope.key"), "duet cert"},
		{"key of another certificate", otherCert, keyPath, "duet cert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := server.New(server.Config{DB: server.NewTestDB(t), TLSCertFile: tc.cert, TLSKeyFile: tc.key})
			if err == nil {
				srv.Close()
				t.Fatal("server started")
			}
			if !strings.Contains(err.Error(), tc.wantInText) {
				t.Fatalf("error %q does not mention %q", err, tc.wantInText)
			}
		})
	}
}

// syncBuffer collects log output from the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPlainWarning: plain ws:// on an address other machines reach is
// logged as a warning; on loopback, or with TLS, it is not.
func TestPlainWarning(t *testing.T) {
	leaktest.Check(t)
	certPath, keyPath := devCert(t, "127.0.0.1")
	for _, tc := range []struct {
		name, addr string
		tls        bool
		warn       bool
	}{
		{"plain on loopback", "127.0.0.1:0", false, false},
		{"plain on every interface", "0.0.0.0:0", false, true},
		{"TLS on every interface", "0.0.0.0:0", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			cfg := server.Config{DB: server.NewTestDB(t), Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			scheme := "http"
			if tc.tls {
				cfg.TLSCertFile, cfg.TLSKeyFile, scheme = certPath, keyPath, "https"
			}
			srv, err := server.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			ln, err := net.Listen("tcp", tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			// Once the server answers, Serve is past its warning.
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			roots, err := call.LoadCA(certPath)
			if err != nil {
				t.Fatal(err)
			}
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.TLSClientConfig.RootCAs = roots
			defer tr.CloseIdleConnections()
			req, _ := http.NewRequestWithContext(ctx(t), "GET", scheme+"://127.0.0.1:"+port+"/healthz", nil)
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := strings.Contains(logs.String(), "serving plain ws:// beyond loopback"); got != tc.warn {
				t.Fatalf("warned: %v, want %v; log:\n%s", got, tc.warn, logs.String())
			}
		})
	}
}

// TestTLSCall: a whole call over wss://.
func TestTLSCall(t *testing.T) {
	e, certPath := tlsEnv(t, "127.0.0.1")
	roots, err := call.LoadCA(certPath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := dialWith(t, call.Config{ServerURL: e.url, RootCAs: roots, Account: "bob", Token: e.tokens["bob"],
		ClientType: proto.ClientBot, DeviceID: "b1"})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := dialWith(t, call.Config{ServerURL: e.url, RootCAs: roots, Account: "alice", Token: e.tokens["alice"], DeviceID: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	cid := placeCall(t, alice, "bob", proto.CallTypeAudio, c)
	connect(t, alice, c, cid)
	if err := alice.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if r := waitRecord(t, c, cid); r.Status != proto.StatusCompleted {
		t.Fatalf("record over wss: %+v", r)
	}
}
