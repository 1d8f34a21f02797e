package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"duet/call"
	"duet/call/proto"
)

// benchClient is a signed-in client whose events, but for presence, wait
// in a channel for the benchmark to consume in order.
type benchClient struct {
	*call.Client
	events chan call.Event
}

func dialBench(tb testing.TB, url, account string) *benchClient {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := call.Dial(ctx, call.Config{ServerURL: url, Account: account, ClientType: proto.ClientBot, DeviceID: account})
	if err != nil {
		tb.Fatalf("dial %s: %v", account, err)
	}
	bc := &benchClient{Client: c, events: make(chan call.Event, 64)}
	go func() {
		for ev := range c.Events() {
			if _, ok := ev.(*proto.PresenceChanged); !ok {
				bc.events <- ev
			}
		}
		close(bc.events)
	}()
	tb.Cleanup(func() { c.Close() })
	return bc
}

// dialMany signs in n clients named prefix0000… a few at a time.
func dialMany(tb testing.TB, url, prefix string, n int) []*benchClient {
	out := make([]*benchClient, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range out {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = dialBench(tb, url, fmt.Sprintf("%s%04d", prefix, i))
		}()
	}
	wg.Wait()
	return out
}

// waitFor skips events until one of type T.
func waitFor[T call.Event](tb testing.TB, c *benchClient) T {
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				tb.Fatalf("%s: disconnected", c.Account())
			}
			if got, ok := ev.(T); ok {
				return got
			}
		case <-timer.C:
			var zero T
			tb.Fatalf("%s: no %T", c.Account(), zero)
		}
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[int(float64(len(sorted)-1)*p)]
}

// BenchmarkCallToBeCalling: with 1,000 clients signed in, the time from a
// caller sending call to the callee's client holding beCalling.
func BenchmarkCallToBeCalling(b *testing.B) {
	srv := startServerProcess(b)
	clients := dialMany(b, srv.url, "u", 1000)
	samples := max(b.N, 1000)
	lat := make([]time.Duration, 0, samples)
	b.ResetTimer()
	for i := range samples {
		pair := i % (len(clients) / 2)
		caller, callee := clients[2*pair], clients[2*pair+1]
		start := time.Now()
		if _, err := caller.Call(context.Background(), callee.Account(), proto.CallTypeVideo, call.CallOptions{}); err != nil {
			b.Fatal(err)
		}
		waitFor[*proto.BeCalling](b, callee)
		lat = append(lat, time.Since(start))
		if err := caller.Hangup(context.Background()); err != nil {
			b.Fatal(err)
		}
		waitFor[*proto.CallRecordEvent](b, callee)
		waitFor[*proto.CallRecordEvent](b, caller)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(lat)), "calls")
}

// BenchmarkCallFlow: complete flows (call → accept → both startRtc → hangup
// → record written and pushed) per second, 50 pairs at once.
func BenchmarkCallFlow(b *testing.B) {
	srv := startServerProcess(b)
	const pairs = 50
	clients := dialMany(b, srv.url, "f", 2*pairs)
	flows := max(b.N, 2000)
	work := make(chan struct{}, flows)
	for range flows {
		work <- struct{}{}
	}
	close(work)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				oneFlow(b, clients[2*p], clients[2*p+1])
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(flows)/elapsed.Seconds(), "flows/s")
	b.ReportMetric(float64(elapsed.Microseconds())/float64(flows)*pairs, "µs/flow")
}

func oneFlow(tb testing.TB, caller, callee *benchClient) {
	ctx := context.Background()
	cid, err := caller.Call(ctx, callee.Account(), proto.CallTypeVideo, call.CallOptions{})
	if err != nil {
		tb.Error(err)
		return
	}
	waitFor[*proto.BeCalling](tb, callee)
	if err := callee.Response(ctx, cid, true); err != nil {
		tb.Error(err)
		return
	}
	waitFor[*proto.CallAccepted](tb, caller)
	if _, err := caller.StartRTC(ctx, 0); err != nil {
		tb.Error(err)
	}
	waitFor[*proto.SyncDone](tb, caller)
	if _, err := callee.StartRTC(ctx, 0); err != nil {
		tb.Error(err)
	}
	waitFor[*proto.SyncDone](tb, callee)
	waitFor[*proto.ClientJoin](tb, caller)
	if err := caller.Hangup(ctx); err != nil {
		tb.Error(err)
	}
	waitFor[*proto.HangupEvent](tb, callee)
	waitFor[*proto.CallRecordEvent](tb, caller)
	waitFor[*proto.CallRecordEvent](tb, callee)
}

// BenchmarkIdleClientMemory: the server process's resident memory per idle
// signed-in client, over 1,000 raw websocket clients.
func BenchmarkIdleClientMemory(b *testing.B) {
	srv := startServerProcess(b)
	const n = 1000
	warm := dialRawIdle(b, srv.url, "w", 20)
	time.Sleep(500 * time.Millisecond)
	before := srv.rss(b)
	conns := dialRawIdle(b, srv.url, "m", n)
	time.Sleep(time.Second)
	runtime.GC()
	after := srv.rss(b)
	b.ReportMetric(float64(after-before)/n, "B/client")
	b.ReportMetric(float64(after)/(1<<20), "server-MiB")
	for _, c := range append(warm, conns...) {
		c.CloseNow()
	}
}

// dialRawIdle signs in n minimal clients that only drain what they receive.
func dialRawIdle(tb testing.TB, url, prefix string, n int) []*websocket.Conn {
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		c, _, err := websocket.Dial(ctx, url, nil)
		cancel()
		if err != nil {
			tb.Fatal(err)
		}
		env, _ := proto.NewRequest(proto.TypeLogin, 1, proto.Login{Account: fmt.Sprintf("%s%04d", prefix, i), ClientType: proto.ClientBot})
		msg, _ := json.Marshal(env)
		if err := c.Write(context.Background(), websocket.MessageText, msg); err != nil {
			tb.Fatal(err)
		}
		go func() {
			for {
				if _, _, err := c.Read(context.Background()); err != nil {
					return
				}
			}
		}()
		conns[i] = c
	}
	return conns
}
