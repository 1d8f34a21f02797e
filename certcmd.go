package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"duet/call/devcert"
)

func runCert(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: duet cert [--host name,ip,...] [--out DIR] [--days N] [--force]

Makes a self-signed TLS certificate (ECDSA P-256) for duet serve --tls-cert, for a
LAN or test server without a certificate authority. Clients trust it with --ca.

`)
		fs.PrintDefaults()
	}
	hosts := fs.String("host", "", "comma-separated names and IP addresses clients dial\n"+
		"(default: localhost, 127.0.0.1, ::1, this host's name and its non-loopback addresses)")
	out := fs.String("out", filepath.Join(defaultDataDir(), "tls"), "directory for cert.pem and key.pem")
	days := fs.Int("days", 365, fmt.Sprintf("days the certificate is valid (at most %d)", devcert.MaxDays))
	force := fs.Bool("force", false, "replace an existing cert.pem and key.pem")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errors.New("duet cert takes no arguments; give hosts with --host")
	}
	if *days <= 0 {
		return fmt.Errorf("--days %d: want 1 to %d", *days, devcert.MaxDays)
	}
	var list []string
	if *hosts != "" {
		list = strings.Split(*hosts, ",")
	}
	cert, err := devcert.Generate(devcert.Options{Hosts: list, Days: *days})
	if err != nil {
		return err
	}
	certPath, keyPath, err := cert.Write(*out, *force)
	if err != nil {
		return err
	}
	// The name clients will dial: the first that is not loopback, if any.
	host := "HOST"
	if len(cert.Hosts) > 0 {
		host = cert.Hosts[0]
	}
	for _, h := range cert.Hosts {
		if h != "localhost" && h != "127.0.0.1" && h != "::1" {
			host = h
			break
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	fmt.Fprintf(stdout, `certificate: %s
key:         %s (keep it on the server; readable by you only)
hosts:       %s
valid until: %s
SHA-256 fingerprint: %s

Serve with it:
  duet serve --addr 0.0.0.0:7600 --tls-cert %s --tls-key %s
Copy cert.pem (never key.pem) to each client and trust it there:
  duet --server wss://%s:7600/ws --ca cert.pem --account NAME --token TOKEN
  duet bot --server wss://%s:7600/ws --ca cert.pem --account NAME --token TOKEN
Check the fingerprint on a client with:
  openssl x509 -in cert.pem -noout -fingerprint -sha256
`, certPath, keyPath, strings.Join(cert.Hosts, ", "), cert.NotAfter.Local().Format("2006-01-02"), cert.Fingerprint,
		certPath, keyPath, host, host)
	return nil
}
