package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// busyBucket holds, for each account in a call anywhere in the cluster, the
// call and its owner node: an account has at most one call, and two nodes
// must not both give it one.
const busyBucket = "duet-busy"

type busyEntry struct {
	CID  string `json:"cid"`
	Node string `json:"node"`
}

// busyClaim is a key taken for a call. Its release is guarded by the
// revision that took it, so a late release cannot free a newer call.
type busyClaim struct {
	key string
	rev uint64
}

func busyKey(account string) string { return base64.RawURLEncoding.EncodeToString([]byte(account)) }

// own counts call cid among this node's live calls, so that its busy keys
// are not taken for stale.
func (c *cluster) own(cid string) {
	c.mu.Lock()
	c.owned[cid] = struct{}{}
	c.mu.Unlock()
}

// claim takes account's busy key for cid; ok false: another live call
// holds it. A free key holds an empty value rather than none: a key
// deleted and created again costs three round trips, an update one.
func (c *cluster) claim(ctx context.Context, account, cid string) (busyClaim, bool, error) {
	key := busyKey(account)
	mine := busyEntry{CID: cid, Node: c.cfg.Node}
	val, _ := json.Marshal(mine)
	// A few rounds: the key may be freed or taken between two steps.
	for range 3 {
		c.mu.Lock()
		last, known := c.revs[key]
		c.mu.Unlock()
		// Free at the last revision seen, or never seen (revision 0 takes
		// a key that never existed): the claim is one compare-and-set.
		if !known || last.held.CID == "" {
			rev, err := c.busy.Update(ctx, key, val, last.rev)
			if err == nil {
				c.sawRev(key, rev, mine)
				return busyClaim{key: key, rev: rev}, true, nil
			}
			if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
				return busyClaim{}, false, fmt.Errorf("claim %s for call %s: %w", account, cid, err)
			}
		}
		cur, found, err := c.readBusy(ctx, key)
		if err != nil {
			return busyClaim{}, false, fmt.Errorf("claim %s for call %s: %w", account, cid, err)
		}
		if !found { // removed by hand: start it again
			if rev, err := c.busy.Create(ctx, key, val); err == nil {
				c.sawRev(key, rev, mine)
				return busyClaim{key: key, rev: rev}, true, nil
			}
			continue
		}
		if cur.held.CID != "" && !c.stale(ctx, cur.held) {
			c.sawRev(key, cur.rev, cur.held)
			return busyClaim{}, false, nil
		}
		// Free, or held by a call that is over: taken at this revision.
		rev, err := c.busy.Update(ctx, key, val, cur.rev)
		if err == nil {
			c.sawRev(key, rev, mine)
			return busyClaim{key: key, rev: rev}, true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return busyClaim{}, false, fmt.Errorf("claim %s for call %s: %w", account, cid, err)
		}
	}
	return busyClaim{}, false, nil
}

// busyRev is a revision of a busy key and what it held then; a zero
// held is a free key.
type busyRev struct {
	rev  uint64
	held busyEntry
}

// sawRev notes a revision of a busy key, from this node's writes or the
// bucket's watch; older news than what is known is dropped.
func (c *cluster) sawRev(key string, rev uint64, held busyEntry) {
	c.mu.Lock()
	newer := rev > c.revs[key].rev
	if newer {
		c.revs[key] = busyRev{rev, held}
	}
	c.mu.Unlock()
	if newer {
		c.keyChanged(key)
	}
}

func (c *cluster) busyChanged(e jetstream.KeyValueEntry) {
	var held busyEntry
	if e.Operation() == jetstream.KeyValuePut && len(e.Value()) > 0 {
		json.Unmarshal(e.Value(), &held)
	}
	c.mu.Lock()
	was := c.inCallElsewhereLocked(e.Key())
	c.mu.Unlock()
	c.sawRev(e.Key(), e.Revision(), held)
	c.mu.Lock()
	if e.Operation() == jetstream.KeyValuePurge && c.revs[e.Key()].rev == e.Revision() {
		c.forgetKeyLocked(e.Key()) // unless a newer claim is known already
	}
	now := c.inCallElsewhereLocked(e.Key())
	c.mu.Unlock()
	if was != now {
		c.presenceChanged(e.Key())
	}
}

// stale reports whether held names a call that is over, though its key
// is still there: one of ours that ended while the key's delete is queued,
// or one of a node that is gone.
func (c *cluster) stale(ctx context.Context, held busyEntry) bool {
	if held.Node == c.cfg.Node {
		c.mu.Lock()
		_, live := c.owned[held.CID]
		c.mu.Unlock()
		return !live
	}
	_, err := c.nodes.Get(ctx, held.Node)
	return errors.Is(err, jetstream.ErrKeyNotFound)
}

// release forgets call cid as one of ours and queues the deletes of its
// keys, behind the events already queued for other nodes: a device told
// that the call ended finds its account free. Never waits.
func (c *cluster) release(cid string, claims []busyClaim) {
	c.mu.Lock()
	delete(c.owned, cid)
	c.mu.Unlock()
	if len(claims) > 0 {
		c.enqueue(outbound{release: claims})
	}
}

// releaseNow frees the keys: an empty value, at the revision that took
// each, so a key taken since by a newer call stays. It sends the writes
// without waiting for them and adds them to r (busywrite.go).
func (c *cluster) releaseNow(claims []busyClaim, r *releases) {
	r.calls++
	for _, cl := range claims {
		f, err := c.putBusyAsync(cl.key, busyEntry{}, cl.rev)
		if err != nil {
			c.log.Warn("cluster: free busy key", "key", cl.key, "err", err)
			continue
		}
		r.writes = append(r.writes, busyWrite{key: cl.key, call: r.calls, ack: f})
	}
}

// ownerOf is the node that owns account's call cid; "" when no node does
// (the call ended, or never was). The bucket's watch usually knows; a call
// placed a moment ago may not have reached it yet, nor a call that ended.
func (c *cluster) ownerOf(ctx context.Context, account, cid string) (string, error) {
	c.mu.Lock()
	known := c.revs[busyKey(account)].held
	c.mu.Unlock()
	if known.CID == cid {
		return known.Node, nil
	}
	cur, _, err := c.readBusy(ctx, busyKey(account))
	if err != nil {
		return "", fmt.Errorf("find the owner of call %s: %w", cid, err)
	}
	if cur.held.CID != cid {
		return "", nil
	}
	return cur.held.Node, nil
}
