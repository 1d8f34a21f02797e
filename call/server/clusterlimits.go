package server

import (
	"bytes"
	"errors"
	"fmt"
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

const (
	limitsSubject = "duet.limits"
	// limitNewsDelay gathers the news of a few milliseconds into one
	// message.
	limitNewsDelay = 10 * time.Millisecond
	// mostLimitNews bounds what waits for the next batch; more is dropped
	// (the limits are approximate across nodes anyway).
	mostLimitNews = 4096
	// maxLimitNewsBytes bounds a batch as read: mostLimitNews lines of the
	// longest form.
	maxLimitNewsBytes = mostLimitNews * (len("a  \n") + 2*proto.MaxAccountLen)
)

// limitNews is one charge a node made: a call placed by account, a call
// rung to account, or an answered call, by account to callee, given back.
type limitNews struct {
	kind    byte
	account string
	callee  string // newsAnswered only
}

const (
	newsPlaced   = 'p'
	newsRung     = 'r'
	newsAnswered = 'a'
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
	news, err := parseLimitNews(m.Data)
	if err != nil {
		c.log.Warn("cluster: limit news", "from", m.Header.Get(hdrNode), "err", err)
		return
	}
	c.hub.srv.calls.heard(news, time.Now())
}

// encodeLimitNews writes news a line each: "p CALLER", "r CALLEE",
// "a CALLER CALLEE". Account names hold no spaces or newlines.
func encodeLimitNews(news []limitNews) []byte {
	var b bytes.Buffer
	for _, n := range news {
		b.WriteByte(n.kind)
		b.WriteByte(' ')
		b.WriteString(n.account)
		if n.kind == newsAnswered {
			b.WriteByte(' ')
			b.WriteString(n.callee)
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
		want := 2
		switch n.kind {
		case newsPlaced, newsRung:
		case newsAnswered:
			want = 3
		default:
			return nil, fmt.Errorf("line %q: unknown kind", line)
		}
		if len(f) != want {
			return nil, fmt.Errorf("line %q: want %d fields", line, want)
		}
		for i, name := range f[1:] {
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
