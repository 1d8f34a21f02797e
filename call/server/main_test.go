package server_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"duet/call/server"
)

// serverProcessEnv makes the test binary act as a plain server process, so
// benchmarks can read the server's own memory apart from their clients'.
const serverProcessEnv = "DUET_TEST_SERVER_DB"

// clusterProcessEnv, "NATS-URL NODE", joins that server process to a
// cluster, with a node TTL of clusterProcessTTL.
const (
	clusterProcessEnv = "DUET_TEST_SERVER_CLUSTER"
	clusterProcessTTL = 600 * time.Millisecond
)

func TestMain(m *testing.M) {
	if db := os.Getenv(serverProcessEnv); db != "" {
		os.Exit(serveUntilStdinCloses(db))
	}
	stop, err := server.StartTestDatabase()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

func serveUntilStdinCloses(db string) int {
	// Benchmarks drive each connection far past what a person's client
	// sends, and their clients all come from loopback and sign in without
	// waiting for each other: limits off and no cap on connections not
	// signed in yet, so they measure the server and not its limits.
	cfg := server.Config{DB: db, Open: true, Limits: server.Limits{Off: true},
		MaxPendingPerIP: 4096, MaxPending: 4096}
	if url, node, ok := strings.Cut(os.Getenv(clusterProcessEnv), " "); ok {
		cfg.Cluster = &server.ClusterConfig{URL: url, Node: node, NodeTTL: clusterProcessTTL}
	}
	srv, err := server.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go srv.Serve(ln)
	fmt.Printf("ADDR %s\n", ln.Addr())
	bufio.NewReader(os.Stdin).ReadString('\n') // parent closes stdin to stop us
	srv.Close()
	return 0
}

// serverProcess is a server running in a child process.
type serverProcess struct {
	cmd *exec.Cmd
	url string
}

func startServerProcess(tb testing.TB) *serverProcess {
	tb.Helper()
	return startServerProcessWith(tb, serverProcessEnv+"="+filepath.Join(tb.TempDir(), "bench.db"))
}

// startClusterProcess runs a node of a cluster in a child process, on the
// cluster's database, that a test can kill.
func startClusterProcess(tb testing.TB, db, natsURL, node string) *serverProcess {
	tb.Helper()
	return startServerProcessWith(tb, serverProcessEnv+"="+db, clusterProcessEnv+"="+natsURL+" "+node)
}

func startServerProcessWith(tb testing.TB, env ...string) *serverProcess {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		cmd.Process.Kill()
		tb.Fatalf("server process did not start: %q %v", line, err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	return &serverProcess{cmd: cmd, url: "ws://" + strings.TrimSpace(strings.TrimPrefix(line, "ADDR ")) + "/ws"}
}

// rss is the server process's resident set size in bytes.
func (p *serverProcess) rss(tb testing.TB) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}
