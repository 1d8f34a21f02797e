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
	for _, want := range []string{"24 placed, 24 complete", "errors              0", "node n1 memory", "node n3 memory", "over 3 nodes"} {
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
	if !strings.Contains(out.String(), "10 placed, 10 complete") || !strings.Contains(errb.String(), "on PostgreSQL") {
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
