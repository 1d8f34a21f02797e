// Package loadtest drives a signaling server with many real clients: it
// signs N of them in, then places calls between pairs of them at a given
// rate, bounded in count and time, and reports how long call setup took,
// what failed and how much memory the server used.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"duet/call"
	"duet/call/proto"
)

// Config says how hard to push. Zero values take the defaults.
type Config struct {
	ServerURL string
	// Nodes, when set instead of ServerURL, are the nodes of one cluster
	// (cluster.go): clients spread over them and every call crosses nodes.
	Nodes []Node
	// Token signs every client in; empty for an open server.
	Token string
	// Clients is how many clients stay signed in (default 1000). Half place
	// calls, half answer them.
	Clients int
	// DialConcurrency is how many sign-ins run at once (default 16: a
	// server lets each address have 16 connections that have not signed
	// in yet, and every client here comes from one address).
	DialConcurrency int
	// Rate is how many calls start per second (default 50).
	Rate float64
	// Calls bounds how many calls are placed (default 1000).
	Calls int
	// Duration bounds how long calls are placed (default 1 minute).
	Duration time.Duration
	// Hold is how long each answered call lasts (default 1 s).
	Hold time.Duration
	// Timeout bounds each step of a call (default 10 s); a step that takes
	// longer counts as an error.
	Timeout time.Duration
	// ServerPID, if known, is read for the server's memory.
	ServerPID int
	// AccountPrefix names the clients' accounts (default "load").
	AccountPrefix string
	// Progress, if set, is called about once a second while running.
	Progress func(string)
	Logger   *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Clients <= 0 {
		c.Clients = 1000
	}
	if c.Clients < 2 {
		c.Clients = 2
	}
	if c.DialConcurrency <= 0 {
		c.DialConcurrency = 16
	}
	if c.Rate <= 0 {
		c.Rate = 50
	}
	if c.Calls <= 0 {
		c.Calls = 1000
	}
	if c.Duration <= 0 {
		c.Duration = time.Minute
	}
	if c.Hold <= 0 {
		c.Hold = time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.AccountPrefix == "" {
		c.AccountPrefix = "load"
	}
	if c.Progress == nil {
		c.Progress = func(string) {}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Report is what a run measured.
type Report struct {
	Clients       int           // signed in at once
	SignInTime    time.Duration // to sign every client in
	SignIn        Summary       // one client's dial and sign-in
	CallsPlaced   int
	CallsComplete int     // set up, held, hung up and recorded
	Ring          Summary // call → beCalling at the callee
	Setup         Summary // call → answered → both in the room
	Record        Summary // hangup → the caller has the call record
	SkippedBusy   int     // ticks with every caller still in a call
	Errors        int
	ErrorKinds    map[string]int
	ServerMemory  Memory     // after the calls, with every client still signed in; a cluster's summed
	NodeMemory    []Memory   // of each node of a cluster, in the order of Config.Nodes
	ClientMemory  Memory     // this process
	CallsCPU      MachineCPU // the whole machine's while the calls were placed
	ProcessCPU    ProcessCPU // each process's CPU time while the calls were placed
	Elapsed       time.Duration
}

// Run signs the clients in, places the calls and signs everyone out.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg.setDefaults()
	if cfg.ServerURL == "" && len(cfg.Nodes) == 0 {
		return Report{}, errNoServer
	}
	r := &run{cfg: cfg}
	start := time.Now()
	rep := Report{}
	clients, err := r.signIn(ctx)
	defer closeAll(clients)
	if err != nil {
		return rep, err
	}
	rep.Clients, rep.SignInTime, rep.SignIn = len(clients), time.Since(start), r.signInTimes.summary()

	half := len(clients) / 2
	callers, callees := clients[:half], clients[half:2*half]
	var answering sync.WaitGroup
	actx, stopAnswering := context.WithCancel(ctx)
	for _, c := range callees {
		answering.Add(1)
		go func() {
			defer answering.Done()
			r.answer(actx, c)
		}()
	}
	restoreGC := quietGC()
	servers := []int{cfg.ServerPID}
	if len(cfg.Nodes) > 0 {
		servers = servers[:0]
		for _, n := range cfg.Nodes {
			servers = append(servers, n.PID)
		}
	}
	cpu0 := readCPU(selfPID(), servers)
	r.placeCalls(ctx, callers, callees)
	cpu1 := readCPU(selfPID(), servers)
	rep.CallsCPU = cpu1.machine.since(cpu0.machine)
	rep.ProcessCPU = cpu1.since(cpu0, len(cfg.Nodes) > 0)
	restoreGC()
	if len(cfg.Nodes) > 0 {
		rep.NodeMemory, rep.ServerMemory = nodesMemory(cfg.Nodes)
	} else {
		rep.ServerMemory, _ = readMemory(cfg.ServerPID)
	}
	rep.ClientMemory, _ = readMemory(selfPID())
	stopAnswering()
	answering.Wait()

	rep.CallsPlaced, rep.CallsComplete = int(r.placed.Load()), int(r.complete.Load())
	rep.Ring, rep.Setup, rep.Record = r.ring.summary(), r.setup.summary(), r.record.summary()
	rep.SkippedBusy = int(r.skipped.Load())
	rep.Errors, rep.ErrorKinds = r.errs.snapshot()
	rep.Elapsed = time.Since(start)
	return rep, nil
}

type run struct {
	cfg Config

	signInTimes         latencies
	ring, setup, record latencies
	errs                errorCounts
	placed, complete    atomic.Int64
	skipped             atomic.Int64
	ringAt              sync.Map // cid → time the call was placed, for the callee's side
}

// signIn dials every client, cfg.DialConcurrency at a time.
func (r *run) signIn(ctx context.Context) ([]*call.Client, error) {
	n := r.cfg.Clients
	clients := make([]*call.Client, n)
	next := atomic.Int64{}
	var failed atomic.Int64
	var wg sync.WaitGroup
	stop := r.every(time.Second, func() {
		r.cfg.Progress(fmt.Sprintf("signed in %d/%d", next.Load()-failed.Load(), n))
	})
	for range r.cfg.DialConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				dctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
				c, err := call.Dial(dctx, call.Config{ServerURL: r.urlOf(i), Token: r.cfg.Token,
					Account: fmt.Sprintf("%s%05d", r.cfg.AccountPrefix, i), DeviceID: "load",
					ClientType: proto.ClientBot, NoAnswerTimeout: time.Hour, Logger: r.cfg.Logger})
				cancel()
				if err != nil {
					failed.Add(1)
					r.errs.add("sign in", err)
					continue
				}
				r.signInTimes.add(time.Since(t0))
				clients[i] = c
			}
		}()
	}
	wg.Wait()
	stop()
	if ctx.Err() != nil {
		return compact(clients), ctx.Err()
	}
	if f := failed.Load(); f > 0 {
		return compact(clients), fmt.Errorf("sign in: %d of %d clients failed", f, n)
	}
	return clients, nil
}

// placeCalls starts a call every 1/Rate seconds on an idle caller until
// Calls were placed or Duration is up, then waits for the calls to end.
func (r *run) placeCalls(ctx context.Context, callers, callees []*call.Client) {
	idle := make(chan int, len(callers))
	for i := range callers {
		idle <- i
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	tick := time.NewTicker(time.Duration(float64(time.Second) / r.cfg.Rate))
	defer tick.Stop()
	stop := r.every(time.Second, func() {
		r.cfg.Progress(fmt.Sprintf("calls placed %d, complete %d, errors %d", r.placed.Load(), r.complete.Load(), r.errorCount()))
	})
	defer stop()
	var calls sync.WaitGroup
	defer calls.Wait()
	for r.placed.Load() < int64(r.cfg.Calls) {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case i := <-idle:
			r.placed.Add(1)
			calls.Add(1)
			go func() {
				defer calls.Done()
				r.callOnce(context.WithoutCancel(ctx), callers[i], callees[i].Account())
				idle <- i
			}()
		default:
			r.skipped.Add(1)
		}
	}
}

func (r *run) errorCount() int {
	n, _ := r.errs.snapshot()
	return n
}

// callOnce is one caller's whole call: place, wait for the answer, join,
// wait for the callee in the room, hold, hang up, wait for the record.
func (r *run) callOnce(ctx context.Context, c *call.Client, callee string) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout+r.cfg.Hold+r.cfg.Timeout)
	defer cancel()
	t0 := time.Now()
	r.ringAt.Store(callee, t0) // before the call: beCalling may beat the call's reply
	// On a cluster, a callee that signed in a moment ago may not have
	// reached the caller's node yet: the call rings when it does.
	opts := call.CallOptions{ForceKeepCalling: len(r.cfg.Nodes) > 0}
	cid, err := c.Call(ctx, callee, proto.CallTypeAudio, opts)
	if err != nil {
		r.errs.add("call", err)
		return
	}
	if _, err := waitFor[*proto.CallAccepted](ctx, c, cid); err != nil {
		r.errs.add("wait for answer", err)
		c.Hangup(ctx)
		return
	}
	if _, err := c.StartRTC(ctx, 0); err != nil {
		r.errs.add("caller startRtc", err)
		c.Hangup(ctx)
		return
	}
	if err := waitForPeerInRoom(ctx, c, cid); err != nil {
		r.errs.add("wait for callee in room", err)
		c.Hangup(ctx)
		return
	}
	r.setup.add(time.Since(t0))
	select {
	case <-time.After(r.cfg.Hold):
	case <-ctx.Done():
	}
	t1 := time.Now()
	if err := c.Hangup(ctx); err != nil {
		r.errs.add("hangup", err)
		return
	}
	if _, err := waitFor[*proto.CallRecordEvent](ctx, c, cid); err != nil {
		r.errs.add("wait for record", err)
		return
	}
	r.record.add(time.Since(t1))
	r.complete.Add(1)
}

// answer accepts every call ringing at c and joins its room, until ctx ends.
func (r *run) answer(ctx context.Context, c *call.Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-c.Events():
			if !ok {
				if err := c.Err(); err != nil {
					r.errs.add("callee connection", err)
				}
				return
			}
			bc, ok := ev.(*proto.BeCalling)
			if !ok {
				if d, lost := ev.(*call.Disconnected); lost {
					r.errs.add("callee connection", d.Err)
				}
				continue
			}
			if t0, ok := r.ringAt.LoadAndDelete(c.Account()); ok {
				r.ring.add(time.Since(t0.(time.Time)))
			}
			// An answer under way is finished, not cut short when the run
			// stops answering: the caller may count its call complete
			// before the callee's startRtc has returned.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
			if err := c.Response(sctx, bc.CID, true); err != nil {
				r.errs.add("answer", err)
			} else if _, err := c.StartRTC(sctx, 0); err != nil {
				r.errs.add("callee startRtc", err)
			}
			cancel()
		}
	}
}

// waitFor returns c's next event of type T for cid, skipping others.
func waitFor[T interface {
	call.Event
	comparable
}](ctx context.Context, c *call.Client, cid string) (T, error) {
	var zero T
	for {
		select {
		case <-ctx.Done():
			return zero, fmt.Errorf("no %T for call %s: %w", zero, cid, ctx.Err())
		case ev, ok := <-c.Events():
			if !ok {
				return zero, fmt.Errorf("connection ended waiting for %T: %w", zero, c.Err())
			}
			if t, ok := ev.(T); ok && cidOf(ev) == cid {
				return t, nil
			}
			if end := endOf(ev, cid); end != nil {
				return zero, end
			}
		}
	}
}

// waitForPeerInRoom waits until the caller knows the callee joined: the
// syncDone lists them (they were first) or a clientJoin follows.
func waitForPeerInRoom(ctx context.Context, c *call.Client, cid string) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("callee never joined call %s: %w", cid, ctx.Err())
		case ev, ok := <-c.Events():
			if !ok {
				return fmt.Errorf("connection ended in call %s: %w", cid, c.Err())
			}
			switch e := ev.(type) {
			case *proto.SyncDone:
				if e.CID == cid && len(e.UserList) > 0 {
					return nil
				}
			case *proto.ClientJoin:
				if e.CID == cid {
					return nil
				}
			}
			if end := endOf(ev, cid); end != nil {
				return end
			}
		}
	}
}

func cidOf(ev call.Event) string {
	switch e := ev.(type) {
	case *proto.CallAccepted:
		return e.CID
	case *proto.CallRecordEvent:
		return e.CID
	}
	return ""
}

// endOf turns an event that ends call cid early into an error.
func endOf(ev call.Event, cid string) error {
	switch e := ev.(type) {
	case *proto.CallRejected:
		if e.CID == cid {
			return fmt.Errorf("call %s rejected: %s", cid, e.Reason)
		}
	case *proto.HangupEvent:
		if e.CID == cid {
			return fmt.Errorf("call %s hung up by %s: %s", cid, e.Account, e.Reason)
		}
	case *call.Disconnected:
		return e.Err
	}
	return nil
}

// every calls f every d until stop is called.
func (r *run) every(d time.Duration, f func()) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func compact(cs []*call.Client) []*call.Client {
	out := cs[:0:0]
	for _, c := range cs {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// closeAll signs every client out, a few at a time in parallel.
func closeAll(cs []*call.Client) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, c := range cs {
		if c == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			c.Close()
			<-sem
		}()
	}
	wg.Wait()
}

var errNoServer = errors.New("no server URL")
