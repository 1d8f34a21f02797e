package server

import "sync"

// DefaultTURNAllocationsPerAccount bounds the relays one account holds at
// once. A device in a call holds one per TURN URL (UDP and TCP: two), and
// an ICE restart or a crashed client's leftovers, which live until their
// lifetime ends, can add as many again; 16 covers that with room, and stops
// one account from taking the relay port range or the file descriptors
// that every other call needs.
const DefaultTURNAllocationsPerAccount = 16

// allocQuota counts each account's live relays. Safe for concurrent use:
// pion/turn calls it from its read loops. On a cluster it counts the
// relays the account holds on the other nodes too, as they last told
// (clusterlimits.go).
type allocQuota struct {
	max int
	// tell, on a cluster, passes an account's count here to the other
	// nodes; called holding mu, so the counts leave in order. Set before
	// the first relay.
	tell func(account string, count int)

	mu     sync.Mutex
	counts map[string]int            // guarded by mu: live allocations per account
	remote map[string]map[string]int // guarded by mu: other nodes' counts, by node
}

func newAllocQuota(max int) *allocQuota {
	if max <= 0 {
		max = DefaultTURNAllocationsPerAccount
	}
	return &allocQuota{max: max, counts: map[string]int{}, remote: map[string]map[string]int{}}
}

// account is the account a TURN username was issued to, or the username
// itself when it is not one of ours (authentication refuses those anyway).
func turnAccount(username string) string {
	if _, account, err := parseTURNUsername(username); err == nil {
		return account
	}
	return username
}

// allows says whether username's account may have one more relay.
func (q *allocQuota) allows(username string) bool {
	account := turnAccount(username)
	q.mu.Lock()
	defer q.mu.Unlock()
	held := q.counts[account]
	for _, counts := range q.remote {
		held += counts[account]
	}
	return held < q.max
}

func (q *allocQuota) created(username string) {
	account := turnAccount(username)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.counts[account]++
	q.told(account)
}

func (q *allocQuota) deleted(username string) {
	account := turnAccount(username)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.counts[account] <= 1 {
		delete(q.counts, account)
	} else {
		q.counts[account]--
	}
	q.told(account)
}

// told passes account's count to the other nodes. Holding mu.
func (q *allocQuota) told(account string) {
	if q.tell != nil {
		q.tell(account, q.counts[account])
	}
}

// heard notes how many relays account holds on node.
func (q *allocQuota) heard(node, account string, count int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	counts := q.remote[node]
	if count <= 0 {
		delete(counts, account)
		if len(counts) == 0 {
			delete(q.remote, node)
		}
		return
	}
	if counts == nil {
		counts = map[string]int{}
		q.remote[node] = counts
	}
	counts[account] = count
}

// forgetNode drops what node told: it is gone, or is about to tell all
// again.
func (q *allocQuota) forgetNode(node string) {
	q.mu.Lock()
	delete(q.remote, node)
	q.mu.Unlock()
}
