package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"duet/call/loadtest"
	"duet/internal/pgtest"
)

// loadCluster is a cluster started by `duet loadtest --cluster N`: N nodes,
// each `duet serve` in a child process so that each node's memory is its
// own, on a NATS server with JetStream in this process and a PostgreSQL
// server of its own (started as internal/pgtest starts it for the tests).
type loadCluster struct {
	dir      string
	pg       *pgtest.Server
	nats     *natsserver.Server
	children []*childServer
}

func startLoadCluster(ctx context.Context, n int, stderr io.Writer) (cl *loadCluster, err error) {
	cl = &loadCluster{}
	defer func() {
		if err != nil {
			cl.stop()
		}
	}()
	if cl.dir, err = os.MkdirTemp("", "duet-loadtest-cluster-"); err != nil {
		return cl, fmt.Errorf("start cluster: %w", err)
	}
	if cl.pg, err = pgtest.Start(); err != nil {
		return cl, fmt.Errorf("start cluster: PostgreSQL: %w", err)
	}
	opts := &natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, JetStream: true,
		StoreDir: filepath.Join(cl.dir, "nats"), NoLog: true, NoSigs: true}
	if cl.nats, err = natsserver.NewServer(opts); err != nil {
		return cl, fmt.Errorf("start cluster: NATS: %w", err)
	}
	go cl.nats.Start()
	if !cl.nats.ReadyForConnections(10 * time.Second) {
		return cl, fmt.Errorf("start cluster: NATS did not start within 10 s")
	}
	db := cl.pg.URL("postgres", "")
	env := nodeShareOfCores(n)
	for i := range n {
		node := fmt.Sprintf("n%d", i+1)
		// One node first: the others find the database migrated.
		child, err := startChildServer(ctx, stderr, node+".log", &cl.dir, env,
			"--db", db, "--cluster", cl.nats.ClientURL(), "--node", node)
		if err != nil {
			return cl, fmt.Errorf("start cluster node %s: %w", node, err)
		}
		cl.children = append(cl.children, child)
		fmt.Fprintf(stderr, "node %s pid %d at %s %s\n", node, child.cmd.Process.Pid, child.url, strings.Join(env, " "))
	}
	return cl, nil
}

// nodeShareOfCores gives each of n nodes its share of the machine's cores
// (GOMAXPROCS), as a container's CPU limit would: the nodes stand in for
// machines of their own, and n runtimes each sized for every core spend
// the cores the others need looking for work. Nothing when GOMAXPROCS is
// set already.
func nodeShareOfCores(n int) []string {
	if os.Getenv("GOMAXPROCS") != "" {
		return nil
	}
	return []string{fmt.Sprintf("GOMAXPROCS=%d", max(1, runtime.NumCPU()/n))}
}

func (cl *loadCluster) nodes() []loadtest.Node {
	var ns []loadtest.Node
	for _, c := range cl.children {
		ns = append(ns, loadtest.Node{URL: c.url, PID: c.cmd.Process.Pid})
	}
	return ns
}

// stop stops the nodes, then NATS and PostgreSQL, and removes their files.
func (cl *loadCluster) stop() {
	for _, c := range cl.children {
		c.stop()
	}
	if cl.nats != nil {
		cl.nats.Shutdown()
		cl.nats.WaitForShutdown()
	}
	if cl.pg != nil {
		cl.pg.Close()
	}
	if cl.dir != "" {
		os.RemoveAll(cl.dir)
	}
}
