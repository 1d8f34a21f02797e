package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"duet/call/leaktest"
)

// TestServeMetricsAddr: --metrics-addr serves Prometheus metrics on their
// own listener, and the clients' address does not.
func TestServeMetricsAddr(t *testing.T) {
	leaktest.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "server.db"),
			"--open", "--no-turn", "--metrics-addr", "127.0.0.1:0"}, &out, &errOut)
	}()
	serving := regexp.MustCompile(`serving on ws://(127\.0\.0\.1:\d+)/ws`)
	metrics := regexp.MustCompile(`metrics at (http://127\.0\.0\.1:\d+/metrics)`)
	for serving.FindStringSubmatch(out.String()) == nil || metrics.FindStringSubmatch(out.String()) == nil {
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	get := func(url string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(metrics.FindStringSubmatch(out.String())[1]); code != 200 || !strings.Contains(body, "duet_connections 0") {
		t.Fatalf("metrics: %d\n%s", code, body)
	}
	if _, body := get("http://" + serving.FindStringSubmatch(out.String())[1] + "/metrics"); strings.Contains(body, "duet_connections") {
		t.Fatal("the clients' address serves metrics")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	http.DefaultClient.CloseIdleConnections()
}
