package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"duet/call/loadtest"
	"duet/internal/pgtest"
)

func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: duet loadtest [flags]

Signs many real clients in to a signaling server, places calls between
pairs of them at a steady rate (answer, both join the room, hold, hang up,
wait for the record), and reports setup latency, errors and memory.
Without --server it starts its own server in a child process on loopback,
so the server's memory is measured apart from the clients'. With
--cluster N it starts N nodes of a cluster instead, each a child process,
on a NATS server in this process and a PostgreSQL server of its own;
clients spread over the nodes and every call crosses nodes. --postgres
puts the one server on PostgreSQL too, to compare like with like.

`)
		fs.PrintDefaults()
	}
	serverURL := fs.String("server", "", "server to load (default: start one on loopback in a child process);\n"+
		"several, comma-separated, are the nodes of one cluster")
	nodes := fs.Int("cluster", 0, "start a cluster of this many nodes instead of one server (needs PostgreSQL installed)")
	onPostgres := fs.Bool("postgres", false, "start the one server on a PostgreSQL of its own rather than SQLite,\n"+
		"as a cluster's nodes are (needs PostgreSQL installed)")
	serverPID := fs.Int("server-pid", 0, "process id of --server, to report its memory")
	token := fs.String("token", "", "token every client signs in with (empty: an open server)")
	clients := fs.Int("clients", 1000, "clients signed in at once (half call, half answer)")
	dialers := fs.Int("dial-concurrency", 16, "sign-ins in flight at once (a server lets one address have 16 waiting to sign in)")
	rate := fs.Float64("rate", 50, "calls started per second")
	calls := fs.Int("calls", 1000, "calls to place at most")
	duration := fs.Duration("duration", time.Minute, "time to place calls at most")
	hold := fs.Duration("hold", time.Second, "how long each answered call lasts")
	timeout := fs.Duration("timeout", 10*time.Second, "limit on each step of a call before it counts as an error")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := loadtest.Config{ServerPID: *serverPID, Token: *token, Clients: *clients,
		DialConcurrency: *dialers, Rate: *rate, Calls: *calls, Duration: *duration, Hold: *hold, Timeout: *timeout,
		Progress: func(s string) { fmt.Fprintln(stderr, s) }}
	switch urls := strings.Split(*serverURL, ","); {
	case *nodes > 0 && *serverURL != "":
		return errors.New("--cluster starts its own nodes: give it or --server, not both")
	case *onPostgres && (*nodes > 0 || *serverURL != ""):
		return errors.New("--postgres is for the one server duet loadtest starts: not with --cluster or --server")
	case *nodes > 0:
		cl, err := startLoadCluster(ctx, *nodes, stderr)
		if err != nil {
			return err
		}
		defer cl.stop()
		cfg.Nodes = cl.nodes()
	case len(urls) > 1:
		for _, u := range urls {
			cfg.Nodes = append(cfg.Nodes, loadtest.Node{URL: u})
		}
	case *serverURL != "":
		cfg.ServerURL = *serverURL
	default:
		db := "load.db"
		if *onPostgres {
			pg, err := pgtest.Start()
			if err != nil {
				return fmt.Errorf("start PostgreSQL: %w", err)
			}
			defer pg.Close()
			db = pg.URL("postgres", "")
		}
		child, err := startChildServer(ctx, stderr, "server.log", nil, nil, "--db", db)
		if err != nil {
			return err
		}
		defer child.stop()
		cfg.ServerURL, cfg.ServerPID = child.url, child.cmd.Process.Pid
		engine := "SQLite"
		if *onPostgres {
			engine = "PostgreSQL"
		}
		fmt.Fprintf(stderr, "server pid %d at %s on %s\n", cfg.ServerPID, cfg.ServerURL, engine)
	}
	rep, err := loadtest.Run(ctx, cfg)
	printReport(stdout, cfg, rep)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if werr := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); werr != nil {
			return fmt.Errorf("write report: %w", werr)
		}
	}
	if err != nil {
		return fmt.Errorf("load test: %w", err)
	}
	if rep.Errors > 0 {
		return fmt.Errorf("load test: %d errors", rep.Errors)
	}
	return nil
}

func printReport(w io.Writer, cfg loadtest.Config, r loadtest.Report) {
	fmt.Fprintf(w, "clients signed in   %d in %s (one sign-in: %s)\n", r.Clients, r.SignInTime.Round(time.Millisecond), r.SignIn)
	fmt.Fprintf(w, "calls               %d placed, %d complete at %.0f/s (hold %s); %d ticks found every caller busy\n",
		r.CallsPlaced, r.CallsComplete, cfg.Rate, cfg.Hold, r.SkippedBusy)
	fmt.Fprintf(w, "call → beCalling    %s\n", r.Ring)
	fmt.Fprintf(w, "call setup          %s   (call → answered → both in the room)\n", r.Setup)
	fmt.Fprintf(w, "hangup → record     %s\n", r.Record)
	fmt.Fprintf(w, "errors              %d\n", r.Errors)
	fmt.Fprintf(w, "machine CPU         %s while the calls were placed\n", r.CallsCPU)
	fmt.Fprintf(w, "CPU time            %s\n", processCPUText(r.ProcessCPU))
	kinds := make([]string, 0, len(r.ErrorKinds))
	for k := range r.ErrorKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %6d  %s\n", r.ErrorKinds[k], k)
	}
	for i, m := range r.NodeMemory {
		fmt.Fprintf(w, "node n%d memory      %s\n", i+1, m)
	}
	fmt.Fprintf(w, "server memory       %s", r.ServerMemory)
	if len(r.NodeMemory) > 0 {
		fmt.Fprintf(w, " over %d nodes", len(r.NodeMemory))
	}
	if r.ServerMemory.RSS > 0 && r.Clients > 0 {
		fmt.Fprintf(w, ", %.1f KiB per client", float64(r.ServerMemory.RSS)/float64(r.Clients)/1024)
	}
	if len(cfg.Nodes) > 0 {
		fmt.Fprintf(w, "\nclient memory       %s (with NATS, when --cluster started it)\n", r.ClientMemory)
	} else {
		fmt.Fprintf(w, "\nclient memory       %s\n", r.ClientMemory)
	}
	fmt.Fprintf(w, "elapsed             %s\n", r.Elapsed.Round(time.Millisecond))
}

// processCPUText says where the machine's CPU went while the calls were
// placed, in seconds.
func processCPUText(p loadtest.ProcessCPU) string {
	cluster := len(p.Nodes) > 0
	secs := func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
	var b strings.Builder
	switch {
	case p.Server == 0:
		b.WriteString("server unknown")
	case cluster:
		fmt.Fprintf(&b, "nodes %s (", secs(p.Server))
		for i, d := range p.Nodes {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "n%d %s", i+1, secs(d))
		}
		b.WriteString(")")
	default:
		fmt.Fprintf(&b, "server %s", secs(p.Server))
	}
	fmt.Fprintf(&b, "; this process %s (the clients", secs(p.Self))
	if cluster {
		b.WriteString(" and NATS")
	}
	fmt.Fprintf(&b, "); every process %s", secs(p.Machine))
	return b.String()
}

// childServer is a `duet serve` started by the load test.
type childServer struct {
	cmd    *exec.Cmd
	url    string
	dir    string // removed by stop; "" when the caller owns logDir
	logDir string
}

var servingURL = regexp.MustCompile(`wss?://\S+/ws`)

// startChildServer runs `duet serve` on an open loopback address with
// args, its log in logName, with env added to this process's environment.
// dir is where its files go, nil for a new temporary directory that stop
// removes; a relative --db lives there.
func startChildServer(ctx context.Context, stderr io.Writer, logName string, dir *string, env []string, args ...string) (*childServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	child := &childServer{}
	if dir != nil {
		child.logDir = *dir
	} else if child.dir, err = os.MkdirTemp("", "duet-loadtest-"); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	} else {
		child.logDir = child.dir
	}
	cmd := exec.Command(exe, append([]string{"serve", "--open", "--no-turn", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = child.logDir
	cmd.Env = append(os.Environ(), env...)
	logFile, err := os.Create(filepath.Join(child.logDir, logName))
	if err != nil {
		os.RemoveAll(child.dir)
		return nil, fmt.Errorf("start server: %w", err)
	}
	defer logFile.Close()
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(child.dir)
		return nil, fmt.Errorf("start server: %w", err)
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(child.dir)
		return nil, fmt.Errorf("start server: %w", err)
	}
	child.cmd = cmd
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u := servingURL.FindString(sc.Text()); u != "" {
				found <- u
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case child.url = <-found:
		return child, nil
	case <-time.After(10 * time.Second):
		err = errors.New("it did not say where it listens within 10 s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	child.stop()
	return nil, fmt.Errorf("start server (log in %s): %w", filepath.Join(child.logDir, logName), err)
}

// stop ends the server gracefully and removes its files.
func (c *childServer) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(c.dir)
}
