package main

import (
	"flag"
	"io"
	"os"
	"testing"
)

func TestClusterFlags(t *testing.T) {
	parse := func(args ...string) (*clusterFlags, error) {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := addClusterFlags(fs)
		return f, fs.Parse(args)
	}
	const pg = "postgres://duet@db/duet"
	f, _ := parse()
	if c, err := f.config(pg); c != nil || err != nil {
		t.Fatalf("no flags: %+v, %v; want no cluster", c, err)
	}
	f, _ = parse("--cluster", "nats://10.0.0.5:4222", "--node", "n1")
	if c, err := f.config(pg); err != nil || c.URL != "nats://10.0.0.5:4222" || c.Node != "n1" || c.Replicas != 1 {
		t.Fatalf("--cluster --node: %+v, %v", c, err)
	}
	f, _ = parse("--cluster", "nats://a:4222,nats://b:4222,nats://c:4222", "--node", "n1", "--cluster-replicas", "3")
	if c, err := f.config(pg); err != nil || c.Replicas != 3 {
		t.Fatalf("--cluster-replicas 3: %+v, %v", c, err)
	}
	for _, bad := range []string{"0", "6"} {
		f, _ = parse("--cluster", "nats://nats:4222", "--node", "n1", "--cluster-replicas", bad)
		if _, err := f.config(pg); err == nil {
			t.Fatalf("--cluster-replicas %s was accepted", bad)
		}
	}
	host, _ := os.Hostname()
	f, _ = parse("--cluster", "nats://nats:4222")
	if c, err := f.config(pg); err != nil || c.Node != host {
		t.Fatalf("--cluster alone: %+v, %v; want node %q", c, err, host)
	}
	f, _ = parse("--cluster", "nats://nats:4222", "--node", "n1")
	if _, err := f.config("server.db"); err == nil {
		t.Fatal("a cluster on a SQLite file was accepted")
	}
	f, _ = parse("--node", "n1")
	if _, err := f.config(pg); err == nil {
		t.Fatal("--node without --cluster was accepted")
	}
}
