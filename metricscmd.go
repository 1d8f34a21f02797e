package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"duet/call/server"
)

// serveMetrics serves srv's Prometheus metrics on their own listener, apart
// from the clients' address: what a server does is for its operator.
// A failure to serve after the start is sent to errc.
func serveMetrics(addr string, srv *server.Server, errc chan<- error) (at net.Addr, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", srv.MetricsHandler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("metrics: %w", err)
		}
	}()
	return ln.Addr(), func() { hs.Close() }, nil
}
