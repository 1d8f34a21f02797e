package natstest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is n embedded NATS servers routed to one another, with
// JetStream clustered over them: streams of n replicas survive the loss
// of any one server. Its methods must be called from the test's goroutine.
type Cluster struct {
	Servers []*Server
}

// StartCluster starts n servers and waits until JetStream has a leader;
// they are shut down when the test ends.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	cl := &Cluster{}
	// Every server is given routes to all: JetStream's first server will
	// not start without one.
	routes, ports := make([]*url.URL, n), make([]int, n)
	for i := range n {
		ports[i] = freePort(tb)
		routes[i] = &url.URL{Scheme: "nats", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i]))}
	}
	for i := range n {
		cl.Servers = append(cl.Servers, startWith(tb, server.Options{ServerName: fmt.Sprintf("nats%d", i+1),
			Cluster: server.ClusterOpts{Name: "duet", Host: "127.0.0.1", Port: ports[i]}, Routes: routes}))
	}
	cl.awaitJetStream()
	return cl
}

// AwaitInterest waits until every running server knows of a subscriber
// to each subject: a server hears of another's subscriptions a moment
// after they are made, and drops what it is sent for them meanwhile.
func (cl *Cluster) AwaitInterest(subjects ...string) {
	tb := cl.Servers[0].tb
	tb.Helper()
	deadline := time.Now().Add(readyTimeout)
	for _, s := range cl.Servers {
		for _, subject := range subjects {
			for s.srv != nil && !s.srv.GlobalAccount().SubscriptionInterest(subject) {
				if time.Now().After(deadline) {
					tb.Fatalf("NATS server %s heard of no subscriber to %s within %v", s.opts.ServerName, subject, readyTimeout)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
}

// Shutdown stops every server.
func (cl *Cluster) Shutdown() {
	for _, s := range cl.Servers {
		s.Shutdown()
	}
}

// freePort is a loopback port nothing listens on now.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// URL lists every server, as a client that may fail over is given them.
func (cl *Cluster) URL() string {
	var urls []string
	for _, s := range cl.Servers {
		if s.srv != nil {
			urls = append(urls, s.URL())
		}
	}
	return strings.Join(urls, ",")
}

// Serving is the server at url, nil when none is.
func (cl *Cluster) Serving(url string) *Server {
	for _, s := range cl.Servers {
		if s.srv != nil && s.URL() == url {
			return s
		}
	}
	return nil
}

// awaitJetStream waits until the servers have elected JetStream's leader
// and a stream of len(Servers) replicas can be placed.
func (cl *Cluster) awaitJetStream() {
	tb := cl.Servers[0].tb
	tb.Helper()
	nc, err := nats.Connect(cl.URL())
	if err != nil {
		tb.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(4 * readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var info *jetstream.AccountInfo
		if info, err = js.AccountInfo(ctx); err == nil && len(nc.Servers()) < len(cl.Servers) {
			err = fmt.Errorf("the client knows %d servers of %d", len(nc.Servers()), len(cl.Servers))
		}
		cancel()
		if err == nil && info != nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("NATS cluster: JetStream not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
