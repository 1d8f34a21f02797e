package loadtest_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"duet/call/leaktest"
	"duet/call/loadtest"
	"duet/call/server"
)

func startServer(t *testing.T) string {
	t.Helper()
	srv, err := server.New(server.Config{DB: filepath.Join(t.TempDir(), "load.db"), Open: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "ws://" + ln.Addr().String() + "/ws"
}

func TestRunPlacesEveryCallWithoutErrors(t *testing.T) {
	leaktest.Check(t)
	url := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := loadtest.Run(ctx, loadtest.Config{ServerURL: url, Clients: 100, Rate: 200, Calls: 120,
		Hold: 20 * time.Millisecond, Duration: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 0 {
		t.Fatalf("%d errors: %v", rep.Errors, rep.ErrorKinds)
	}
	if rep.Clients != 100 || rep.CallsPlaced != 120 || rep.CallsComplete != 120 {
		t.Fatalf("report %+v: want 100 clients and 120 calls placed and complete", rep)
	}
	for name, s := range map[string]loadtest.Summary{"ring": rep.Ring, "setup": rep.Setup, "record": rep.Record} {
		if s.Count != 120 || s.P50 <= 0 || s.P99 < s.P50 || s.Max < s.P99 {
			t.Fatalf("%s latency %+v: want 120 ordered samples", name, s)
		}
	}
	if rep.ClientMemory.RSS == 0 {
		t.Fatal("no memory figure for this process")
	}
	if c := rep.CallsCPU; c.Busy <= 0 || c.Busy > 1 || c.Cores < 1 {
		t.Fatalf("machine CPU while calling %+v: want a share of at least one core's time", c)
	}
}

func TestRunStopsAtItsDuration(t *testing.T) {
	leaktest.Check(t)
	url := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := loadtest.Run(ctx, loadtest.Config{ServerURL: url, Clients: 10, Rate: 20, Calls: 1_000_000,
		Hold: 10 * time.Millisecond, Duration: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.CallsPlaced == 0 || rep.CallsPlaced > 12 {
		t.Fatalf("placed %d calls in 0.5 s at 20/s", rep.CallsPlaced)
	}
	if rep.Errors != 0 || rep.CallsComplete != rep.CallsPlaced {
		t.Fatalf("report %+v", rep)
	}
}

func TestRunReportsAServerThatIsNotThere(t *testing.T) {
	leaktest.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = loadtest.Run(ctx, loadtest.Config{ServerURL: "ws://" + addr + "/ws", Clients: 4, Timeout: time.Second})
	if err == nil {
		t.Fatal("no error from a run against no server")
	}
}
