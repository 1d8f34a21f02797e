package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"duet/call/leaktest"
	"duet/call/loadtest"
	"duet/internal/pgtest"
)

// duet loadtest --cluster starts its nodes, spreads the clients over them,
// places every call across nodes without an error, and gives each node's
// memory.
func TestLoadtestOnACluster(t *testing.T) {
	leaktest.Check(t)
	t.Setenv(runMainEnv, runMainArgv) // the nodes are this binary
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	err := runLoadtest(ctx, []string{"--cluster", "3", "--clients", "24", "--rate", "100", "--calls", "24",
		"--hold", "10ms"}, &out, &errb)
	if errors.Is(err, pgtest.ErrNotInstalled) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("loadtest: %v\n%s\n%s", err, out.String(), errb.String())
	}
	t.Log(out.String())
	for _, want := range []string{"24 placed, 24 complete", "errors              0", "node n1 memory", "node n3 memory", "over 3 nodes",
		"CPU time            nodes ", "(the clients and NATS)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// duet loadtest --postgres runs its one server on a PostgreSQL of its own.
func TestLoadtestOnPostgres(t *testing.T) {
	leaktest.Check(t)
	t.Setenv(runMainEnv, runMainArgv) // the server is this binary
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	err := runLoadtest(ctx, []string{"--postgres", "--clients", "10", "--rate", "100", "--calls", "10",
		"--hold", "10ms"}, &out, &errb)
	if errors.Is(err, pgtest.ErrNotInstalled) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("loadtest: %v\n%s\n%s", err, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "10 placed, 10 complete") || !strings.Contains(errb.String(), "on PostgreSQL") ||
		!strings.Contains(out.String(), "CPU time            server ") {
		t.Errorf("report:\n%s\nprogress:\n%s", out.String(), errb.String())
	}
}

// Each node of a load-test cluster gets its share of the cores, unless
// GOMAXPROCS is set already.
func TestNodeShareOfCores(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	os.Unsetenv("GOMAXPROCS")
	want := fmt.Sprintf("GOMAXPROCS=%d", max(1, runtime.NumCPU()/3))
	if got := nodeShareOfCores(3); len(got) != 1 || got[0] != want {
		t.Errorf("three nodes: %q, want [%s]", got, want)
	}
	if got := nodeShareOfCores(4 * runtime.NumCPU()); len(got) != 1 || got[0] != "GOMAXPROCS=1" {
		t.Errorf("more nodes than cores: %q, want [GOMAXPROCS=1]", got)
	}
	t.Setenv("GOMAXPROCS", "3")
	if got := nodeShareOfCores(3); got != nil {
		t.Errorf("with GOMAXPROCS set: %q, want nothing added", got)
	}
}

// The report says which process used the machine's CPU, and says so when a
// server could not be read rather than giving a smaller sum.
func TestProcessCPUText(t *testing.T) {
	p := loadtest.ProcessCPU{Server: 9 * time.Second, Nodes: []time.Duration{2 * time.Second, 3 * time.Second, 4 * time.Second},
		Self: 7250 * time.Millisecond, Machine: 20 * time.Second}
	want := "nodes 9.0 s (n1 2.0 s, n2 3.0 s, n3 4.0 s); this process 7.2 s (the clients and NATS); every process 20.0 s"
	if got := processCPUText(p); got != want {
		t.Errorf("cluster:\n got %s\nwant %s", got, want)
	}
	if got := processCPUText(loadtest.ProcessCPU{Self: time.Second, Machine: 2 * time.Second}); got != "server unknown; this process 1.0 s (the clients); every process 2.0 s" {
		t.Errorf("unknown server: %s", got)
	}
}
