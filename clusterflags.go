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
}

func addClusterFlags(fs *flag.FlagSet) *clusterFlags {
	f := &clusterFlags{}
	fs.StringVar(&f.url, "cluster", "", "join the servers on this NATS server (with JetStream), e.g. nats://10.0.0.5:4222:\n"+
		"any of them takes any client, and calls, presence and busy span them all;\n"+
		"every server needs --db postgres://… on one shared database (docs/cluster.md)")
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
	return &server.ClusterConfig{URL: f.url, Node: node}, nil
}
