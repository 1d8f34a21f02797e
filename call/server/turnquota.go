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
// pion/turn calls it from its read loops.
type allocQuota struct {
	max int

	mu     sync.Mutex
	counts map[string]int // guarded by mu: live allocations per account
}

func newAllocQuota(max int) *allocQuota {
	if max <= 0 {
		max = DefaultTURNAllocationsPerAccount
	}
	return &allocQuota{max: max, counts: map[string]int{}}
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
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.counts[turnAccount(username)] < q.max
}

func (q *allocQuota) created(username string) {
	q.mu.Lock()
	q.counts[turnAccount(username)]++
	q.mu.Unlock()
}

func (q *allocQuota) deleted(username string) {
	account := turnAccount(username)
	q.mu.Lock()
	if q.counts[account] <= 1 {
		delete(q.counts, account)
	} else {
		q.counts[account]--
	}
	q.mu.Unlock()
}
