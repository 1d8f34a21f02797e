package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"duet/call/proto"
)

// ClusterConfig joins a server to other servers through NATS (see
// docs/cluster.md). All of them must share one PostgreSQL database.
type ClusterConfig struct {
	// URL is the NATS server, e.g. nats://10.0.0.5:4222, or several,
	// comma-separated: the node moves to another when its server is lost.
	URL string
	// Node names this server among the others; unique in the cluster.
	Node string
	// NodeTTL is how long a node that stops refreshing its key is still
	// taken for alive (default 6 s). Every node must use the same.
	NodeTTL time.Duration
	// Replicas is how many NATS servers keep each bucket (default 1): 3 on
	// a cluster of three NATS servers survives the loss of any one. Every
	// node must use the same; a node starting with another number changes
	// the buckets' to its own.
	Replicas int
}

const (
	nodesBucket    = "duet-nodes"
	devicesBucket  = "duet-devices"
	defaultNodeTTL = 6 * time.Second
	natsTimeout    = 5 * time.Second
	// natsReconnectWait spaces a node's attempts to reach NATS again
	// (nats.go adds up to 100 ms of jitter).
	natsReconnectWait = 250 * time.Millisecond
)

// cluster is this node's link to the others: it publishes the node's
// signed-in devices and watches everyone else's. Network work runs on its
// own goroutines; the hub only posts to it and is posted to.
type cluster struct {
	cfg     ClusterConfig
	log     *slog.Logger
	nc      *nats.Conn
	js      jetstream.JetStream
	nodes   jetstream.KeyValue
	devices jetstream.KeyValue
	busy    jetstream.KeyValue
	calls   jetstream.KeyValue
	hub     *hub
	metrics *clusterMetrics

	mu      sync.Mutex
	pending map[deviceKey]*deviceEntry // guarded by mu: latest state to publish; nil entry: signed out
	wake    chan struct{}
	beat    chan struct{} // refreshes the node's key at once
	// owned are the calls this node owns or is placing (clusterbusy.go);
	// guarded by mu.
	owned map[string]struct{}
	// revs is the latest revision seen of each busy key, so that a claim
	// of a free key is one compare-and-set; guarded by mu.
	revs map[string]busyRev
	// inCall is, by busy key, the answered call another node told of
	// (clusterincall.go); guarded by mu.
	inCall map[string]string
	// local are the devices signed in here, as the hub has them, for
	// messages from other nodes to reach them without a turn through the
	// hub; guarded by mu.
	local map[deviceKey]*session
	// gates hold early rings for devices here, and what follows them,
	// until their calls' busy keys are seen (clustergate.go); guarded by
	// gateMu, which is taken before mu and held while sending, so that a
	// device's messages keep their order.
	gateMu sync.Mutex
	gates  map[deviceKey]*gateLine
	lost   map[deviceKey][]lostRing // rings dropped as lost, until confirmed
	// arrivals hold messages for devices whose login is under way
	// (arrival.go); guarded by gateMu.
	arrivals map[deviceKey]*arrival

	// rewatch asks each bucket's watch to start again (watch); guarded by mu.
	rewatch []chan struct{}

	// fenced: cut off from NATS, the node serves no client (fence.go).
	fenced     atomic.Bool
	fenceTimer *time.Timer // guarded by mu: running while the link is down
	// abandonTimer, guarded by mu, runs while fenced until the others take
	// the node's calls over.
	abandonTimer *time.Timer
	closed       bool   // guarded by mu
	onFence      func() // closes every client; set before start
	// out is the queue to other nodes, sent in order by sendOut; guarded
	// by mu.
	out     []outbound
	outWake chan struct{}
	outStop chan struct{} // closed to have sendOut send what is left and return
	outDone chan struct{}

	// news is what this node charged to per-account limits, for the
	// others (clusterlimits.go); guarded by newsMu.
	newsMu sync.Mutex
	news   []limitNews

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// deviceEntry is a signed-in device as the devices bucket holds it.
type deviceEntry struct {
	Node       string           `json:"node"`
	ClientType proto.ClientType `json:"clientType"`
	// rev is the entry's revision in the bucket, where a node keeps
	// another's devices.
	rev uint64
}

func joinCluster(ctx context.Context, cfg ClusterConfig, log *slog.Logger) (*cluster, error) {
	if cfg.NodeTTL <= 0 {
		cfg.NodeTTL = defaultNodeTTL
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Node == "" || strings.ContainsAny(cfg.Node, ". *>") {
		return nil, fmt.Errorf("join cluster: node name %q must be set and hold no dots, spaces, * or >", cfg.Node)
	}
	nc, err := nats.Connect(cfg.URL, nats.Name("duet "+cfg.Node), nats.MaxReconnects(-1),
		nats.ReconnectWait(natsReconnectWait))
	if err != nil {
		return nil, fmt.Errorf("join cluster at %s: %w", cfg.URL, err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(natsTimeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("join cluster: %w", err)
	}
	c := &cluster{cfg: cfg, log: log.With("node", cfg.Node), nc: nc, js: js, metrics: newClusterMetrics(), pending: map[deviceKey]*deviceEntry{},
		wake: make(chan struct{}, 1), beat: make(chan struct{}, 1), owned: map[string]struct{}{}, revs: map[string]busyRev{}, inCall: map[string]string{}, local: map[deviceKey]*session{}, gates: map[deviceKey]*gateLine{}, arrivals: map[deviceKey]*arrival{}, lost: map[deviceKey][]lostRing{}, outWake: make(chan struct{}, 1),
		outStop: make(chan struct{}), outDone: make(chan struct{}), onFence: func() {}}
	ctx, cancel := context.WithTimeout(ctx, natsTimeout)
	defer cancel()
	buckets := []struct {
		kv  *jetstream.KeyValue
		cfg jetstream.KeyValueConfig
	}{
		{&c.nodes, jetstream.KeyValueConfig{Bucket: nodesBucket, TTL: cfg.NodeTTL, LimitMarkerTTL: time.Minute}},
		{&c.devices, jetstream.KeyValueConfig{Bucket: devicesBucket}},
		{&c.busy, jetstream.KeyValueConfig{Bucket: busyBucket, LimitMarkerTTL: busyMarkerTTL}},
		{&c.calls, jetstream.KeyValueConfig{Bucket: callsBucket, TTL: 24 * time.Hour}},
	}
	for _, b := range buckets {
		b.cfg.Replicas = cfg.Replicas
		if *b.kv, err = js.CreateOrUpdateKeyValue(ctx, b.cfg); err != nil {
			nc.Close()
			return nil, fmt.Errorf("join cluster: bucket %s of %d replicas: %w", b.cfg.Bucket, cfg.Replicas, err)
		}
	}
	if _, err := c.nodes.Put(ctx, cfg.Node, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		nc.Close()
		return nil, fmt.Errorf("join cluster: announce node: %w", err)
	}
	if rtt, err := nc.RTT(); err == nil { // the heartbeat measures it again
		c.metrics.rtt.Store(int64(rtt))
	}
	return c, nil
}

// start runs the cluster's goroutines for h, after forgetting what a
// previous run of this node left in the devices bucket.
func (c *cluster) start(h *hub) error {
	c.hub = h
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.watchLink()
	go func() { defer close(c.outDone); c.sendOut() }()
	if err := c.forgetNode(c.cfg.Node); err != nil {
		return err
	}
	for subject, handle := range map[string]nats.MsgHandler{devSubject(c.cfg.Node): c.delivered,
		reqSubject(c.cfg.Node): c.requested, resumeSubject(c.cfg.Node): c.resumeRequested, limitsSubject: c.limitsHeard} {
		if _, err := c.nc.Subscribe(subject, handle); err != nil {
			return fmt.Errorf("subscribe %s: %w", subject, err)
		}
	}
	watches := []struct {
		kv     jetstream.KeyValue
		handle func(jetstream.KeyValueEntry)
	}{{c.busy, c.busyChanged}, {c.devices, c.deviceChanged}, {c.nodes, c.nodeChanged}}
	watchers := make([]jetstream.KeyWatcher, 0, len(watches))
	rewatch := make([]chan struct{}, 0, len(watches))
	for _, w := range watches {
		watcher, err := w.kv.WatchAll(c.ctx)
		if err != nil {
			for _, started := range watchers {
				started.Stop()
			}
			return fmt.Errorf("watch %s: %w", w.kv.Bucket(), err)
		}
		watchers, rewatch = append(watchers, watcher), append(rewatch, make(chan struct{}, 1))
	}
	c.mu.Lock()
	c.rewatch = rewatch
	c.mu.Unlock()
	c.wg.Add(2 + len(watches))
	go func() { defer c.wg.Done(); c.heartbeat() }()
	go func() { defer c.wg.Done(); c.publish() }()
	for i, w := range watches {
		go func() { defer c.wg.Done(); c.watch(w.kv, watchers[i], rewatch[i], w.handle) }()
	}
	return nil
}

func (c *cluster) close() {
	c.mu.Lock()
	c.closed = true
	for _, t := range []*time.Timer{c.fenceTimer, c.abandonTimer} {
		if t != nil {
			t.Stop()
		}
	}
	c.mu.Unlock()
	if c.hub != nil {
		// What the stopped hub still sent goes first, before this node's
		// subscriptions and key go.
		close(c.outStop)
		<-c.outDone
	}
	if c.cancel != nil {
		c.cancel()
		c.wg.Wait()
	}
	c.stopGates()
	ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
	defer cancel()
	c.nodes.Delete(ctx, c.cfg.Node) // a clean stop: the others need not wait for the TTL
	c.nc.Close()
}

func (c *cluster) heartbeat() {
	t := time.NewTicker(c.cfg.NodeTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		case <-c.beat:
		}
		ctx, cancel := context.WithTimeout(c.ctx, natsTimeout)
		_, err := c.nodes.Put(ctx, c.cfg.Node, []byte(time.Now().UTC().Format(time.RFC3339)))
		cancel()
		if err != nil && c.ctx.Err() == nil {
			c.log.Warn("cluster: node heartbeat failed", "err", err)
		}
		if rtt, err := c.nc.RTT(); err == nil {
			c.metrics.rtt.Store(int64(rtt))
		}
		if relays := c.hub.srv.turn; relays != nil {
			c.tellAllRelays(relays.quota)
		}
		c.forgetEndedCalls()
		c.hub.post(func() { c.tellAllInCall(c.hub.answeredCalls()) })
	}
}

// deviceBucketKey names a device in the bucket: account names may hold
// letters no NATS subject can.
func deviceBucketKey(k deviceKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(k.account)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(k.deviceID))
}

func parseDeviceBucketKey(key string) (deviceKey, bool) {
	a, d, ok := strings.Cut(key, ".")
	if !ok {
		return deviceKey{}, false
	}
	account, err1 := base64.RawURLEncoding.DecodeString(a)
	device, err2 := base64.RawURLEncoding.DecodeString(d)
	return deviceKey{string(account), string(device)}, err1 == nil && err2 == nil
}

// signedIn (arrival.go) and signedOut queue a device's state for
// publishing. Called by the hub; they never wait on the network. Only the
// latest state of each device is kept, so the queue holds at most one
// entry per device.
func (c *cluster) signedOut(k deviceKey) {
	c.mu.Lock()
	delete(c.local, k)
	c.mu.Unlock()
	c.queue(k, nil)
}

func (c *cluster) queue(k deviceKey, e *deviceEntry) {
	c.mu.Lock()
	c.pending[k] = e
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *cluster) publish() {
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.wake:
		}
		c.mu.Lock()
		batch := c.pending
		c.pending = map[deviceKey]*deviceEntry{}
		c.mu.Unlock()
		for k, e := range batch {
			if err := c.publishDevice(k, e); err != nil && c.ctx.Err() == nil {
				c.log.Warn("cluster: publish device", "account", k.account, "device", k.deviceID, "err", err)
			}
		}
	}
}

func (c *cluster) publishDevice(k deviceKey, e *deviceEntry) error {
	ctx, cancel := context.WithTimeout(c.ctx, natsTimeout)
	defer cancel()
	key := deviceBucketKey(k)
	if e == nil {
		// Only our own entry: the device may have signed in on another
		// node since.
		cur, err := c.devices.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var was deviceEntry
		if json.Unmarshal(cur.Value(), &was) != nil || was.Node != c.cfg.Node {
			return nil
		}
		err = c.devices.Delete(ctx, key, jetstream.LastRevision(cur.Revision()))
		if errors.Is(err, jetstream.ErrKeyExists) { // changed meanwhile: no longer ours
			return nil
		}
		return err
	}
	b, _ := json.Marshal(e)
	_, err := c.devices.Put(ctx, key, b)
	return err
}

// forgetNode deletes the device entries of node, which stopped or died;
// an entry rewritten since by another node stays.
func (c *cluster) forgetNode(node string) error {
	ctx, cancel := context.WithTimeout(c.ctx, natsTimeout)
	defer cancel()
	lister, err := c.devices.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil
		}
		return fmt.Errorf("forget node %s: %w", node, err)
	}
	for key := range lister.Keys() {
		e, err := c.devices.Get(ctx, key)
		if err != nil {
			continue
		}
		var d deviceEntry
		if json.Unmarshal(e.Value(), &d) == nil && d.Node == node {
			c.devices.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
		}
	}
	return nil
}

// watch hands each change of a bucket to handle until the cluster
// stops; the end of the initial values (a nil entry) is skipped. When NATS
// comes back (again), it watches anew from the bucket's current values:
// the consumer behind a watch may have been on a NATS server that was
// lost, and nats.go would find it dead only after 10-20 s without its
// heartbeats. The handlers take a value seen before as news of nothing.
func (c *cluster) watch(kv jetstream.KeyValue, w jetstream.KeyWatcher, again <-chan struct{}, handle func(jetstream.KeyValueEntry)) {
	defer func() { w.Stop() }()
	// A new watch fails while the bucket elects a leader in place of a
	// lost server's (seconds): it is tried again until it starts.
	var retry <-chan time.Time
	wait := natsReconnectWait
	rewatch := func() {
		fresh, err := kv.WatchAll(c.ctx)
		if err != nil {
			c.log.Warn("cluster: watch again", "bucket", kv.Bucket(), "err", err, "next try in", wait)
			retry = time.After(wait)
			wait = min(2*wait, natsTimeout)
			return
		}
		retry, wait = nil, natsReconnectWait
		w.Stop()
		w = fresh
	}
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-again:
			rewatch()
		case <-retry:
			rewatch()
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e != nil {
				handle(e)
			}
		}
	}
}

// deviceChanged hands another node's device change to the hub.
func (c *cluster) deviceChanged(e jetstream.KeyValueEntry) {
	k, ok := parseDeviceBucketKey(e.Key())
	if !ok {
		return
	}
	var d *deviceEntry
	if e.Operation() == jetstream.KeyValuePut {
		d = &deviceEntry{}
		if json.Unmarshal(e.Value(), d) != nil {
			return
		}
		if d.Node == c.cfg.Node {
			d = nil // our own devices are known first hand
		} else {
			// A call to it need not wait for the database.
			c.hub.srv.store.sawAccount(k.account)
		}
	}
	c.hub.post(func() { c.hub.remoteDeviceChanged(k, d, e.Revision()) })
}

// nodeChanged clears the devices of a node whose key expired or was deleted.
func (c *cluster) nodeChanged(e jetstream.KeyValueEntry) {
	if e.Operation() == jetstream.KeyValuePut || e.Key() == c.cfg.Node {
		return
	}
	// A key that expired while NATS itself was down comes back as soon as
	// its node has NATS again: a node is gone only if it stays silent.
	select {
	case <-c.ctx.Done():
		return
	case <-time.After(c.cfg.NodeTTL / 2):
	}
	ctx, cancel := context.WithTimeout(c.ctx, natsTimeout)
	_, err := c.nodes.Get(ctx, e.Key())
	cancel()
	if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return
	}
	c.log.Info("cluster: node gone", "gone", e.Key())
	if relays := c.hub.srv.turn; relays != nil {
		relays.quota.forgetNode(e.Key())
	}
	if err := c.forgetNode(e.Key()); err != nil {
		c.log.Warn("cluster: forget node", "gone", e.Key(), "err", err)
	}
	c.takeOver(e.Key())
}

// remoteDeviceChanged applies another node's device change at revision
// rev of the bucket; d nil: gone. A change older than the entry held comes
// late: the device's resume brought the newer one first. Runs on the hub.
func (h *hub) remoteDeviceChanged(k deviceKey, d *deviceEntry, rev uint64) {
	devs := h.remote[k.account]
	if cur := devs[k.deviceID]; cur != nil && rev < cur.rev {
		return
	}
	if d != nil {
		d.rev = rev
	}
	if d == nil {
		if devs == nil {
			return
		}
		delete(devs, k.deviceID)
		if len(devs) == 0 {
			delete(h.remote, k.account)
		}
		h.remoteDeviceGone(k)
	} else {
		if devs == nil {
			devs = map[string]*deviceEntry{}
			h.remote[k.account] = devs
		}
		was := devs[k.deviceID]
		devs[k.deviceID] = d
		h.account(k.account)
		if was == nil || was.Node != d.Node {
			h.remoteDeviceCame(k, d)
		}
	}
	h.updatePresence(k.account)
}
