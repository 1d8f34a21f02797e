package server

import (
	"encoding/base64"

	"github.com/nats-io/nats.go"
)

// "In a call" across the cluster. Every node shows an account in a call
// while it is in an answered call, wherever its call is owned. The owner
// tells the others when a call is answered (news "i CID ACCOUNT" for each
// party, with the limits' news), and each node shows the account in a call
// while its busy key holds that call: the key's release, seen by every
// node's watch, ends it. The owner tells again, with each heartbeat, of
// every answered call it holds, so that a node that started since, or
// missed the news while NATS was away, learns of them. Telling rather
// than writing the key again spares every call two writes to the busy
// bucket, each delivered to every node.

// mostInCallPerMessage bounds a heartbeat's message of calls in progress:
// a node holding more sends several.
const mostInCallPerMessage = 1024

// inCallElsewhereLocked: the account of busy key is in an answered call
// another node owns. c.mu held.
func (c *cluster) inCallElsewhereLocked(key string) bool {
	held := c.revs[key].held
	return held.CID != "" && held.Node != c.cfg.Node && c.inCall[key] == held.CID
}

// inCallElsewhere reports whether account is in an answered call that
// another node owns, as far as this node has heard.
func (c *cluster) inCallElsewhere(account string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inCallElsewhereLocked(busyKey(account))
}

// presenceChanged has the hub announce the presence of the account of
// busy key.
func (c *cluster) presenceChanged(key string) {
	if account, err := base64.RawURLEncoding.DecodeString(key); err == nil {
		c.hub.post(func() { c.hub.updatePresence(string(account)) })
	}
}

// answered tells the other nodes that call cid, owned here, is answered.
func (c *cluster) answered(cid, caller, callee string) {
	c.tellLimits(limitNews{kind: newsInCall, cid: cid, account: caller})
	c.tellLimits(limitNews{kind: newsInCall, cid: cid, account: callee})
}

// heardInCall notes that account is in answered call cid.
func (c *cluster) heardInCall(cid, account string) {
	key := busyKey(account)
	c.mu.Lock()
	was := c.inCallElsewhereLocked(key)
	c.inCall[key] = cid
	now := c.inCallElsewhereLocked(key)
	c.mu.Unlock()
	if was != now {
		c.presenceChanged(key)
	}
}

// forgetEndedCalls drops what was heard of calls whose keys have been
// freed or taken by another call since: the heartbeat calls it.
func (c *cluster) forgetEndedCalls() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, cid := range c.inCall {
		if c.revs[key].held.CID != cid {
			delete(c.inCall, key)
		}
	}
}

// tellAllInCall tells the others news of the answered calls this node
// holds, in messages of their own: there may be more than a batch of
// limits' news holds. The heartbeat has the hub call it; publishing only
// buffers, so the hub does not wait on the network.
func (c *cluster) tellAllInCall(news []limitNews) {
	for len(news) > 0 {
		n := min(len(news), mostInCallPerMessage)
		m := nats.NewMsg(limitsSubject)
		m.Header.Set(hdrNode, c.cfg.Node)
		m.Data = encodeLimitNews(news[:n])
		news = news[n:]
		if err := c.nc.PublishMsg(m); err != nil {
			c.log.Debug("cluster: tell calls in progress", "err", err)
			return
		}
		c.metrics.sent.WithLabelValues(kindLimits).Inc()
	}
}

// answeredCalls is news of every answered call this node holds and has
// not left aside (fence.go), for each party.
func (h *hub) answeredCalls() []limitNews {
	var news []limitNews
	for _, c := range h.calls {
		if c.answered() && !c.suspended {
			news = append(news, limitNews{kind: newsInCall, cid: c.cid, account: c.caller},
				limitNews{kind: newsInCall, cid: c.cid, account: c.callee})
		}
	}
	return news
}
