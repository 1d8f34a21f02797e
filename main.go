// Command duet is a one-to-one audio/video softphone: the desktop app, its
// signaling server (duet serve) and a headless test bot, in one binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"duet/call/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "duet:", err)
		os.Exit(exitStatus(err))
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return runApp(ctx, nil, stderr)
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "account":
		return runAccount(ctx, args[1:], stdout, stderr)
	case "cert":
		return runCert(args[1:], stdout, stderr)
	case "app":
		return runApp(ctx, args[1:], stderr)
	case "bot":
		return runBot(ctx, args[1:], stdout, stderr)
	case "loadtest":
		return runLoadtest(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "duet", appVersion())
		return nil
	case "help", "--help", "-help", "-h":
		usage(stdout)
		return nil
	}
	if strings.HasPrefix(args[0], "-") {
		return runApp(ctx, args, stderr) // the app's own flags
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `duet — one-to-one audio/video calls

Usage:
  duet [flags]                open the app (no --server: an embedded server with Echo test and Test bot)
  duet serve [flags]          run the signaling server
  duet account add NAME       create an account if needed and print a new token for it
  duet account list           list accounts and their tokens
  duet account revoke NAME    revoke an account's tokens (--token ID or --all)
  duet cert [flags]           make a self-signed TLS certificate for duet serve --tls-cert
  duet bot [flags]            a headless test client that answers as told, with synthetic media
  duet loadtest [flags]       load a server with many clients placing calls, and report latency and memory
  duet --version

Run "duet COMMAND --help" for a command's flags.
`)
}

func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "."
	}
	return filepath.Join(dir, "duet")
}

func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:7600", "address to listen on (use 0.0.0.0:7600 to serve the LAN)")
	db := fs.String("db", filepath.Join(defaultDataDir(), "server.db"), "database of accounts and call records:\n"+
		"a SQLite file (PATH or sqlite:PATH), or postgres://USER:PASSWORD@HOST:PORT/DB for servers sharing one")
	open := fs.Bool("open", false, "let names without tokens sign in without one, registering new names (LAN, development);\n"+
		"names with tokens still need one")
	ring := fs.Duration("ring-timeout", 0, "server-side limit on ringing (default 60s)")
	turnf := addTURNFlags(fs)
	limits := addLimitFlags(fs)
	clusterf := addClusterFlags(fs)
	tlsCert := fs.String("tls-cert", "", "TLS certificate (PEM): serve wss:// instead of ws:// (duet cert makes a development one)")
	tlsKey := fs.String("tls-key", "", "the TLS certificate's private key (PEM)")
	var origins []string
	fs.Func("allow-origin", "let web pages from this origin connect: its host:port as in the page's address, e.g.\n"+
		"127.0.0.1:8655 (the host alone for a page on port 80 or 443), or a pattern such as *.example.com;\n"+
		"repeatable (pages from the server's own host:port, and clients that are not browsers, always may;\n"+
		"a refused page is logged with the value that would allow it)",
		func(v string) error { origins = append(origins, v); return nil })
	metricsAddr := fs.String("metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464\n"+
		"(plain HTTP, for the operator's network only; none when empty)")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, *verbose)
	if path, ok := server.DBFile(*db); ok {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
	}
	turn, err := turnf.config()
	if err != nil {
		return err
	}
	cluster, err := clusterf.config(*db)
	if err != nil {
		return err
	}
	cfg := server.Config{DB: *db, Open: *open, RingTimeout: *ring, Logger: log, TURN: turn,
		TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey, AllowOrigins: origins, Limits: *limits, Cluster: cluster}
	srv, err := server.New(cfg)
	if err != nil && turn != nil && !turnf.explicit() && errors.Is(err, syscall.EADDRINUSE) {
		log.Warn("TURN relay port busy; serving without a relay (pick another with --turn-addr, or --no-turn)", "err", err)
		cfg.TURN = nil
		srv, err = server.New(cfg)
	}
	if err != nil && errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: is another TURN server running? Pick another port with --turn-addr, or serve without a relay with --no-turn", err)
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		srv.Close()
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	scheme, page := "ws", "http"
	if *tlsCert != "" {
		scheme, page = "wss", "https"
	}
	fmt.Fprintf(stdout, "duet %s serving on %s://%s/ws (database %s)\n", appVersion(), scheme, ln.Addr(), server.RedactDB(*db))
	fmt.Fprintf(stdout, "web client for guests at %s://%s/ (docs/web.md)\n", page, ln.Addr())
	if a := srv.TURNAddr(); a != nil {
		fmt.Fprintf(stdout, "TURN relay on %s (UDP and TCP), relays at %s ports %s\n", a, cfg.TURN.PublicIP, turnf.ports)
		if cfg.TURN.PublicIP.IsLoopback() {
			fmt.Fprintln(stdout, "the relay is only reachable from this machine: set --turn-public-ip")
		}
	}
	if cluster != nil {
		replicas := "one replica"
		if cluster.Replicas > 1 {
			replicas = fmt.Sprintf("%d replicas", cluster.Replicas)
		}
		fmt.Fprintf(stdout, "cluster: node %s on NATS %s, its state in %s\n", cluster.Node, cluster.URL, replicas)
	}
	if limits.Off {
		fmt.Fprintln(stdout, "rate limits: none (--no-limits)")
	} else {
		fmt.Fprintf(stdout, "rate limits: messages %v; calls per account %v; rings per callee %v; relay KiB %v\n",
			limits.Messages, limits.Calls, limits.Rings, limits.RelayKiB)
	}
	if *open {
		fmt.Fprintln(stdout, "open server: names without tokens sign in without one; names with tokens still need one")
	} else {
		fmt.Fprintf(stdout, "add accounts with: duet account add NAME --db %s\n", server.RedactDB(*db))
	}
	errc := make(chan error, 2)
	if *metricsAddr != "" {
		at, stop, err := serveMetrics(*metricsAddr, srv, errc)
		if err != nil {
			srv.Close()
			return err
		}
		defer stop()
		fmt.Fprintf(stdout, "metrics at http://%s/metrics\n", at)
	}
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return srv.Close()
	case err := <-errc:
		srv.Close()
		return err
	}
}
