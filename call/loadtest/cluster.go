package loadtest

// Node is one server of a cluster under load.
type Node struct {
	URL string
	// PID, if known, is read for the node's memory.
	PID int
}

// urlOf is the server client i signs in to. On a cluster, caller i signs in
// to node i mod N and its callee (client half+i) to the next node, so every
// call crosses nodes and each node holds as many callers as callees.
func (r *run) urlOf(i int) string {
	n := len(r.cfg.Nodes)
	if n == 0 {
		return r.cfg.ServerURL
	}
	half := r.cfg.Clients / 2
	if i >= half {
		i = i - half + 1
	}
	return r.cfg.Nodes[i%n].URL
}

// nodesMemory reads each node's memory, and their sum.
func nodesMemory(nodes []Node) (each []Memory, sum Memory) {
	for _, n := range nodes {
		m, _ := readMemory(n.PID)
		each = append(each, m)
		sum.RSS += m.RSS
		sum.Peak += m.Peak
	}
	return each, sum
}
