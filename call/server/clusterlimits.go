package server

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"duet/call/proto"
)

// Per-account limits across the cluster. Each node keeps its own buckets
// of calls placed by an account and calls rung to one (limits.go), and
// tells every other node what it charged: a call placed, a call rung, an
// answered call given back. The others charge their buckets alike, so an
// account that dials through several nodes, or is rung from several,
// meets about one limit, not one per node. News travels in batches a few
// milliseconds apart, on core NATS: an account may pass its limit by what
// it does within that time, and news lost while NATS is away is not sent
// again.
//
// The TURN quota counts relays held, not a rate: a node tells the others
// an account's count on its TURN server whenever it changes, and every
// count with each heartbeat, so that what was lost is made good.

const (
	limitsSubject = "duet.limits"
	// limitNewsDelay gathers the news of a few milliseconds into one
	// message.
	limitNewsDelay = 10 * time.Millisecond
	// mostLimitNews bounds what waits for the next batch; more is dropped
	// (the limits are approximate across nodes anyway).
	mostLimitNews = 4096
	// maxLimitNewsBytes bounds a batch as read: mostLimitNews lines of the
	// longest form (a CID is no longer than an account name).
	maxLimitNewsBytes = mostLimitNews * (len("a  \n") + 2*proto.MaxAccountLen)
	// maxNewsCIDLen bounds a call's id as read.
	maxNewsCIDLen = proto.MaxAccountLen
)

// limitNews is one charge a node made: a call placed by account, a call
// rung to account, or an answered call, by account to callee, given back;
// or the relays account holds on its TURN server now, or that what
// follows is all of them; or that account is in answered call cid
// (clusterincall.go).
type limitNews struct {
	kind    byte
	account string
	callee  string // newsAnswered only
	count   int    // newsRelays only
	cid     string // newsInCall only
}

const (
	newsPlaced    = 'p'
	newsRung      = 'r'
	newsAnswered  = 'a'
	newsRelays    = 'n'
	newsAllRelays = 'N'
	newsInCall    = 'i'
	// mostRelaysTold bounds a count read: far above any quota.
	mostRelaysTold = 1 << 20
)

// tellLimits queues news for the other nodes; never waits.
func (c *cluster) tellLimits(n limitNews) {
	c.newsMu.Lock()
	if len(c.news) >= mostLimitNews {
		c.newsMu.Unlock()
		return
	}
	c.news = append(c.news, n)
	first := len(c.news) == 1
	c.newsMu.Unlock()
	if first {
		time.AfterFunc(limitNewsDelay, c.sendLimitNews)
	}
}

// sendLimitNews publishes what was gathered as one message.
func (c *cluster) sendLimitNews() {
	c.newsMu.Lock()
	news := c.news
	c.news = nil
	c.newsMu.Unlock()
	if len(news) == 0 {
		return
	}
	m := nats.NewMsg(limitsSubject)
	m.Header.Set(hdrNode, c.cfg.Node)
	m.Data = encodeLimitNews(news)
	if err := c.nc.PublishMsg(m); err != nil {
		c.log.Debug("cluster: send limit news", "err", err)
		return
	}
	c.metrics.sent.WithLabelValues(kindLimits).Inc()
}

// limitsHeard charges this node's buckets with another node's news.
func (c *cluster) limitsHeard(m *nats.Msg) {
	if m.Header.Get(hdrNode) == c.cfg.Node {
		return
	}
	c.metrics.received.WithLabelValues(kindLimits).Inc()
	node := m.Header.Get(hdrNode)
	news, err := parseLimitNews(m.Data)
	if err != nil {
		c.log.Warn("cluster: limit news", "from", node, "err", err)
		return
	}
	calls := news[:0:0]
	relays := c.hub.srv.turn
	for _, n := range news {
		switch {
		case n.kind == newsAllRelays && relays != nil:
			relays.quota.forgetNode(node)
		case n.kind == newsRelays && relays != nil:
			relays.quota.heard(node, n.account, n.count)
		case n.kind == newsInCall:
			c.heardInCall(n.cid, n.account)
		case n.kind != newsAllRelays && n.kind != newsRelays:
			calls = append(calls, n)
		}
	}
	c.hub.srv.calls.heard(calls, time.Now())
}

// tellRelays passes an account's count of relays here to the others.
func (c *cluster) tellRelays(account string, count int) {
	c.tellLimits(limitNews{kind: newsRelays, account: account, count: count})
}

// tellAllRelays passes every account's count of relays here, in order
// with the news before and after: news lost while NATS was away, or sent
// before a node started, is made good. The heartbeat calls it.
func (c *cluster) tellAllRelays(q *allocQuota) {
	q.mu.Lock()
	defer q.mu.Unlock()
	c.tellLimits(limitNews{kind: newsAllRelays})
	for account, count := range q.counts {
		c.tellRelays(account, count)
	}
}

// encodeLimitNews writes news a line each: "p CALLER", "r CALLEE",
// "a CALLER CALLEE", "n ACCOUNT COUNT", "N", "i CID ACCOUNT". Account
// names and call ids hold no spaces or newlines.
func encodeLimitNews(news []limitNews) []byte {
	var b bytes.Buffer
	for _, n := range news {
		b.WriteByte(n.kind)
		if n.kind == newsInCall {
			b.WriteByte(' ')
			b.WriteString(n.cid)
		}
		if n.kind != newsAllRelays {
			b.WriteByte(' ')
			b.WriteString(n.account)
		}
		switch n.kind {
		case newsAnswered:
			b.WriteByte(' ')
			b.WriteString(n.callee)
		case newsRelays:
			b.WriteByte(' ')
			b.WriteString(strconv.Itoa(n.count))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// parseLimitNews reads what encodeLimitNews wrote; a line it does not
// understand fails the whole message.
func parseLimitNews(data []byte) ([]limitNews, error) {
	if len(data) > maxLimitNewsBytes {
		return nil, fmt.Errorf("%d bytes, more than %d", len(data), maxLimitNewsBytes)
	}
	var news []limitNews
	for line := range bytes.Lines(data) {
		f := bytes.Fields(line)
		if len(f) == 0 || len(f[0]) != 1 {
			return nil, fmt.Errorf("line %q: no kind", line)
		}
		n := limitNews{kind: f[0][0]}
		want, names := 2, f[1:]
		switch n.kind {
		case newsPlaced, newsRung:
		case newsAnswered:
			want = 3
		case newsRelays:
			want = 3
			if len(f) == want {
				count, err := strconv.Atoi(string(f[2]))
				if err != nil || count < 0 || count > mostRelaysTold || strconv.Itoa(count) != string(f[2]) {
					return nil, fmt.Errorf("line %q: bad count", line)
				}
				n.count, names = count, f[1:2]
			}
		case newsAllRelays:
			want = 1
		case newsInCall:
			want = 3
			if len(f) == want {
				if !validNewsCID(f[1]) {
					return nil, fmt.Errorf("line %q: bad call id", line)
				}
				n.cid, names = string(f[1]), f[2:3]
			}
		default:
			return nil, fmt.Errorf("line %q: unknown kind", line)
		}
		if len(f) != want {
			return nil, fmt.Errorf("line %q: want %d fields", line, want)
		}
		for i, name := range names {
			if err := proto.ValidateAccount("account", string(name)); err != nil {
				return nil, errors.Join(fmt.Errorf("line %q", line), err)
			}
			if i == 0 {
				n.account = string(name)
			} else {
				n.callee = string(name)
			}
		}
		news = append(news, n)
	}
	return news, nil
}

// validNewsCID: a call's id as the hub makes them, printable and short.
func validNewsCID(cid []byte) bool {
	if len(cid) == 0 || len(cid) > maxNewsCIDLen {
		return false
	}
	for _, b := range cid {
		if b <= ' ' || b > '~' {
			return false
		}
	}
	return true
}
