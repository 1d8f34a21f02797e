package server_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"duet/call"
	"duet/call/proto"
	"duet/call/server"
	"duet/internal/natstest"
)

// startBenchNode runs an open server without rate limits in this process
// and returns its websocket URL.
func startBenchNode(b *testing.B, db string, cluster *server.ClusterConfig) (*server.Server, string) {
	srv, err := server.New(server.Config{DB: db, Open: true, Limits: server.Limits{Off: true},
		MaxPendingPerIP: 4096, MaxPending: 4096, Cluster: cluster})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return srv, "ws://" + ln.Addr().String() + "/ws"
}

// BenchmarkClusterCallToBeCalling: the time from a caller sending call to
// the callee's client holding beCalling, with 200 clients signed in on one
// server, and with the callers on one node of a cluster and the callees on
// another. Both run in this process and their calls alternate, so the two
// figures share the machine's load (the child-process figure of
// BenchmarkCallToBeCalling is not comparable).
func BenchmarkClusterCallToBeCalling(b *testing.B) {
	const pairs = 100
	_, url := startBenchNode(b, server.NewTestDB(b), nil)
	single := [2][]*benchClient{dialMany(b, url, "a", pairs), dialMany(b, url, "b", pairs)}

	nats := natstest.Start(b)
	db := server.NewTestDB(b)
	n1, url1 := startBenchNode(b, db, &server.ClusterConfig{URL: nats.URL(), Node: "n1"})
	_, url2 := startBenchNode(b, db, &server.ClusterConfig{URL: nats.URL(), Node: "n2"})
	cross := [2][]*benchClient{dialMany(b, url1, "a", pairs), dialMany(b, url2, "b", pairs)}
	// The callers' node must know every callee before the first call.
	deadline := time.Now().Add(testTimeout)
	for i := range pairs {
		for server.DeviceNode(n1, fmt.Sprintf("b%04d", i), fmt.Sprintf("b%04d", i)) == "" {
			if time.Now().After(deadline) {
				b.Fatal("callees never reached the callers' node")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	once := func(caller, callee *benchClient) time.Duration {
		start := time.Now()
		if _, err := caller.Call(context.Background(), callee.Account(), proto.CallTypeVideo, call.CallOptions{}); err != nil {
			b.Fatal(err)
		}
		waitFor[*proto.BeCalling](b, callee)
		d := time.Since(start)
		if err := caller.Hangup(context.Background()); err != nil {
			b.Fatal(err)
		}
		waitFor[*proto.CallRecordEvent](b, callee)
		waitFor[*proto.CallRecordEvent](b, caller)
		return d
	}
	samples := max(b.N, 1000)
	var one, two []time.Duration
	b.ResetTimer()
	for i := range samples {
		one = append(one, once(single[0][i%pairs], single[1][i%pairs]))
		two = append(two, once(cross[0][i%pairs], cross[1][i%pairs]))
	}
	b.StopTimer()
	slices.Sort(one)
	slices.Sort(two)
	b.ReportMetric(float64(percentile(one, 0.50).Microseconds()), "single-p50-µs")
	b.ReportMetric(float64(percentile(one, 0.99).Microseconds()), "single-p99-µs")
	b.ReportMetric(float64(percentile(two, 0.50).Microseconds()), "cross-p50-µs")
	b.ReportMetric(float64(percentile(two, 0.99).Microseconds()), "cross-p99-µs")
	b.ReportMetric(float64(percentile(two, 0.99))/float64(percentile(one, 0.99)), "p99-ratio")
	b.Logf("call → beCalling over %d calls each: one server p50 %v p99 %v; across nodes p50 %v p99 %v",
		samples, percentile(one, 0.50), percentile(one, 0.99), percentile(two, 0.50), percentile(two, 0.99))
}
