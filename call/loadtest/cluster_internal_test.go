package loadtest

import "testing"

// On a cluster every caller and its callee sign in to different nodes, and
// each node holds as many clients as the others, give or take two.
func TestClientsSpreadOverNodesAndCallAcross(t *testing.T) {
	for _, tc := range []struct{ clients, nodes int }{{10000, 3}, {24, 3}, {7, 2}, {100, 4}, {9, 3}} {
		nodes := make([]Node, tc.nodes)
		index := map[string]int{}
		for i := range nodes {
			nodes[i].URL = string(rune('a' + i))
			index[nodes[i].URL] = i
		}
		r := &run{cfg: Config{Clients: tc.clients, Nodes: nodes}}
		count := make([]int, tc.nodes)
		for i := range tc.clients {
			count[index[r.urlOf(i)]]++
		}
		half := tc.clients / 2
		for i := range half {
			if r.urlOf(i) == r.urlOf(half+i) {
				t.Fatalf("%d clients on %d nodes: caller %d and callee %d both on %s", tc.clients, tc.nodes, i, half+i, r.urlOf(i))
			}
		}
		for _, c := range count {
			if c < count[0]-2 || c > count[0]+2 {
				t.Fatalf("%d clients on %d nodes: uneven %v", tc.clients, tc.nodes, count)
			}
		}
	}
}
