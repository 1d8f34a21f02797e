package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call"
	"duet/call/devcert"
	"duet/call/leaktest"
	"duet/call/proto"
)

const testTimeout = 20 * time.Second

// syncBuffer is an output a running command writes while the test reads.
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

// duet runs a command to completion and returns its stdout and stderr.
func duet(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out, errb bytes.Buffer
	err := run(ctx, args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestCertCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	out, errOut, err := duet(t, "cert", "--out", dir, "--host", "duet.test,10.1.2.3,localhost", "--days", "30")
	if err != nil {
		t.Fatalf("duet cert: %v\n%s", err, errOut)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(certPEM)
	if b == nil {
		t.Fatal("cert.pem holds no PEM block")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cert.DNSNames, []string{"duet.test", "localhost"}) || len(cert.IPAddresses) != 1 || cert.IPAddresses[0].String() != "10.1.2.3" {
		t.Fatalf("SANs: %v %v", cert.DNSNames, cert.IPAddresses)
	}
	if days := cert.NotAfter.Sub(cert.NotBefore).Hours() / 24; days < 30 || days > 31 {
		t.Fatalf("valid for %.1f days", days)
	}
	key, err := os.Stat(filepath.Join(dir, "key.pem"))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("key.pem: %v %v", key, err)
	}
	fp := regexp.MustCompile(`SHA-256 fingerprint: ([0-9A-F:]{95})\n`).FindStringSubmatch(out)
	if fp == nil || fp[1] != devcert.Fingerprint(cert.Raw) {
		t.Fatalf("fingerprint in the output is not the certificate's:\n%s", out)
	}
	for _, want := range []string{"--tls-cert " + filepath.Join(dir, "cert.pem"), "--tls-key " + filepath.Join(dir, "key.pem"),
		"--server wss://duet.test:7600/ws --ca cert.pem"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	if _, _, err := duet(t, "cert", "--out", dir, "--host", "duet.test"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second duet cert without --force: %v", err)
	}
	if _, _, err := duet(t, "cert", "--out", dir, "--host", "duet.test", "--force"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--days", "0"}, {"--days", "10000"}, {"--host", "bad host"}, {"extra"}} {
		if _, _, err := duet(t, append([]string{"cert", "--out", t.TempDir()}, args...)...); err == nil {
			t.Errorf("duet cert %v succeeded", args)
		}
	}
}

func TestAccountCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "server.db")
	if _, _, err := duet(t, "account", "list", "--db", db); err == nil {
		t.Fatal("list of a database that does not exist succeeded")
	}
	tok1, errOut, err := duet(t, "account", "add", "erin", "--label", "laptop", "--db", db)
	if err != nil {
		t.Fatalf("add: %v %s", err, errOut)
	}
	tok2, _, err := duet(t, "account", "add", "--db", db, "--label", "phone", "erin")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^1\.[A-Za-z0-9_-]{32}\n$`).MatchString(tok1) || !strings.HasPrefix(tok2, "2.") {
		t.Fatalf("tokens %q %q", tok1, tok2)
	}
	out, _, err := duet(t, "account", "list", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`erin +1 +laptop .* valid\n`).MatchString(out) || !regexp.MustCompile(`erin +2 +phone .* valid\n`).MatchString(out) ||
		strings.Contains(out, strings.TrimSpace(tok1)) {
		t.Fatalf("list:\n%s", out)
	}
	out, _, err = duet(t, "account", "revoke", "erin", "--token", "1", "--db", db)
	if err != nil || out != "revoked token 1 of erin (laptop)\n" {
		t.Fatalf("revoke: %q %v", out, err)
	}
	out, _, _ = duet(t, "account", "list", "--db", db)
	if !regexp.MustCompile(`erin +1 +laptop .* revoked `).MatchString(out) {
		t.Fatalf("list after revoke:\n%s", out)
	}
	for _, args := range [][]string{
		{"revoke", "erin", "--db", db},                          // neither --token nor --all
		{"revoke", "erin", "--token", "2", "--all", "--db", db}, // both
		{"revoke", "erin", "--token", "1", "--db", db},          // revoked already
		{"revoke", "erin", "--token", "-3", "--db", db},         // no such id
		{"add", "--db", db},                                     // no name
		{"add", "bad name", "--db", db},                         // invalid name
		{"add", "a", "b", "--db", db},                           // two names
		{"frobnicate"},                                          // no such command
		{},                                                      // no command
	} {
		if _, _, err := duet(t, append([]string{"account"}, args...)...); err == nil {
			t.Errorf("duet account %v succeeded", args)
		}
	}
	out, _, err = duet(t, "account", "revoke", "erin", "--all", "--db", db)
	if err != nil || out != "revoked token 2 of erin (phone)\n" {
		t.Fatalf("revoke --all: %q %v", out, err)
	}
}

// TestHelp: every command's --help lists its flags.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"serve", "--help"}, []string{"-tls-cert", "-tls-key", "-allow-origin", "-open", "-db", "-cluster", "-node"}},
		{[]string{"cert", "--help"}, []string{"-host", "-out", "-days", "-force"}},
		{[]string{"account", "add", "--help"}, []string{"-label", "-db"}},
		{[]string{"account", "list", "--help"}, []string{"-db"}},
		{[]string{"account", "revoke", "--help"}, []string{"-token", "-all", "-db"}},
		{[]string{"bot", "--help"}, []string{"-ca", "-server", "-pattern", "-video", "-audio"}},
		{[]string{"app", "--help"}, []string{"-ca", "-server", "-video", "-audio"}},
	} {
		_, errOut, err := duet(t, tc.args...)
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%v: %v", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v does not mention %s:\n%s", tc.args, w, errOut)
			}
		}
	}
	out, _, err := duet(t, "account", "--help")
	if err != nil || !strings.Contains(out, "duet account revoke NAME (--token ID | --all)") {
		t.Errorf("account --help: %v\n%s", err, out)
	}
	out, _, _ = duet(t, "help")
	for _, w := range []string{"duet cert", "duet account list", "duet account revoke"} {
		if !strings.Contains(out, w) {
			t.Errorf("duet help does not mention %s", w)
		}
	}
}

// TestMediaFlagErrors: a bad --pattern, or a --video or --audio file that
// cannot be played, stops the command before it signs in, saying why.
func TestMediaFlagErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bot", "--pattern", "plaid"}, `unknown pattern "plaid": want scene or bars`},
		{[]string{"bot", "--video", missing + ".y4m"}, "as the camera — give a readable .y4m file"},
		{[]string{"bot", "--audio", missing + ".wav"}, "as the microphone — give a readable .wav file"},
		{[]string{"app", "--video", missing + ".y4m"}, "as the camera — give a readable .y4m file"},
	} {
		_, _, err := duet(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// TestServeTLS runs duet serve with a certificate from duet cert and signs
// in over wss:// trusting it, as the printed instructions say.
func TestServeTLS(t *testing.T) {
	leaktest.Check(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "server.db")
	if _, _, err := duet(t, "cert", "--out", dir, "--host", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := duet(t, "account", "add", "erin", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db,
			"--tls-cert", filepath.Join(dir, "cert.pem"), "--tls-key", filepath.Join(dir, "key.pem")}, &out, &errOut)
	}()
	addr := regexp.MustCompile(`serving on wss://(127\.0\.0\.1:\d+)/ws`)
	var m []string
	for m == nil {
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
		m = addr.FindStringSubmatch(out.String())
	}
	server, roots := m[0][len("serving on "):], (*x509.CertPool)(nil) // the URL as printed
	if err := clientTLS(&server, &roots, filepath.Join(dir, "cert.pem")); err != nil {
		t.Fatal(err)
	}
	c, err := call.Dial(ctx, call.Config{ServerURL: server, RootCAs: roots, Account: "erin", Token: strings.TrimSpace(tok)})
	if err != nil {
		t.Fatalf("sign in over %s: %v", server, err)
	}
	c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if strings.Contains(errOut.String(), "beyond loopback") {
		t.Fatalf("TLS server warned about plain ws://:\n%s", errOut.String())
	}
}

// Stopping duet serve (SIGTERM and Ctrl-C end its context) tells every
// client with close code 1001 rather than dropping the connection.
func TestServeStopTellsClients(t *testing.T) {
	leaktest.Check(t)
	db := filepath.Join(t.TempDir(), "server.db")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--open", "--no-turn"}, &out, &errOut)
	}()
	addr := regexp.MustCompile(`serving on (ws://127\.0\.0\.1:\d+/ws)`)
	var m []string
	for m == nil {
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
		m = addr.FindStringSubmatch(out.String())
	}
	dctx, dcancel := context.WithTimeout(context.Background(), testTimeout)
	defer dcancel()
	c, err := call.Dial(dctx, call.Config{ServerURL: m[1], Account: "erin"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	for ev := range c.Events() {
		if d, ok := ev.(*call.Disconnected); ok {
			if ce := websocket.CloseStatus(d.Err); ce != proto.CloseGoingAway {
				t.Fatalf("client disconnected with %v, want close status 1001", d.Err)
			}
			return
		}
	}
	t.Fatal("the client's events ended without a Disconnected")
}
