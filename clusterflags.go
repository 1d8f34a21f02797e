package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"duet/call/server"
)

// clusterFlags are duet serve's flags that join it to other servers
// (docs/cluster.md).
type clusterFlags struct {
	url, node string
	replicas  int
}

func addClusterFlags(fs *flag.FlagSet) *clusterFlags {
	f := &clusterFlags{}
	fs.StringVar(&f.url, "cluster", "", "join the servers on this NATS server (with JetStream), e.g. nats://10.0.0.5:4222,\n"+
		"or on several of a NATS cluster, comma-separated:\n"+
		"any of them takes any client, and calls, presence and busy span them all;\n"+
		"every server needs --db postgres://… on one shared database (docs/cluster.md)")
	fs.IntVar(&f.replicas, "cluster-replicas", 1, "how many NATS servers keep the cluster's state: 3 on a NATS cluster of three\n"+
		"survives the loss of any one; the same on every server")
	fs.StringVar(&f.node, "node", "", "this server's name in the cluster, unique among them (default: the host name)")
	return f
}

// config is the cluster to join, nil for none. db is the --db given: a
// cluster shares one PostgreSQL database.
func (f *clusterFlags) config(db string) (*server.ClusterConfig, error) {
	if f.url == "" {
		if f.node != "" {
			return nil, errors.New("--node names this server in a cluster: give --cluster too")
		}
		return nil, nil
	}
	if f.replicas < 1 || f.replicas > 5 {
		return nil, fmt.Errorf("--cluster-replicas %d: JetStream keeps 1 to 5 replicas", f.replicas)
	}
	if _, sqlite := server.DBFile(db); sqlite {
		return nil, fmt.Errorf("--cluster needs one database shared by every server: --db postgres://…, not %s", db)
	}
	node := f.node
	if node == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("--cluster: name this server with --node (no host name: %w)", err)
		}
		node = h
	}
	return &server.ClusterConfig{URL: f.url, Node: node, Replicas: f.replicas}, nil
}
