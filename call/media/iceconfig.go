package media

import "time"

// ICEConfig tunes how a lost media path is noticed and restored. Zero
// fields take the defaults in brackets.
type ICEConfig struct {
	// DisconnectedTimeout: no packet from the peer for this long and ICE is
	// disconnected [5 s, Pion's default].
	DisconnectedTimeout time.Duration
	// FailedTimeout: disconnected this much longer and ICE has failed [25 s].
	FailedTimeout time.Duration
	// KeepaliveInterval between consent checks on the working pair [2 s].
	KeepaliveInterval time.Duration
	// RestartAfter: disconnected this long and the side that offered first
	// restarts ICE; a failed connection restarts at once [2 s]. Negative:
	// never on its own, only through Session.RestartICE.
	RestartAfter time.Duration
	// RestartRetry is the longest wait between restart attempts while the
	// connection stays down; attempts back off from a quarter of it [5 s].
	RestartRetry time.Duration
}

const (
	defaultDisconnectedTimeout = 5 * time.Second
	defaultFailedTimeout       = 25 * time.Second
	defaultKeepaliveInterval   = 2 * time.Second
	defaultRestartAfter        = 2 * time.Second
	defaultRestartRetry        = 5 * time.Second
)

// withDefaults fills the zero fields.
func (c ICEConfig) withDefaults() ICEConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.DisconnectedTimeout, defaultDisconnectedTimeout)
	def(&c.FailedTimeout, defaultFailedTimeout)
	def(&c.KeepaliveInterval, defaultKeepaliveInterval)
	def(&c.RestartAfter, defaultRestartAfter)
	def(&c.RestartRetry, defaultRestartRetry)
	return c
}

// retryDelay is the wait after restart attempt n (from 1): a quarter of
// RestartRetry, then half, then RestartRetry for as long as the call lasts.
func (c ICEConfig) retryDelay(attempt int) time.Duration {
	d := c.RestartRetry / 4
	for i := 1; i < attempt && d < c.RestartRetry; i++ {
		d *= 2
	}
	return min(d, c.RestartRetry)
}
