package proto

// Close codes the server puts in the WebSocket close frame of a connection it
// ends, next to a reason for people (docs/protocol.md, "Close codes"). Codes
// below 4000 are the WebSocket standard's (RFC 6455); 4000–4999 are Duet's.
// A client reconnects after every code but CloseReplaced.
const (
	// CloseGoingAway: the server is shutting down, or stopped serving the
	// address the client came in on. Reconnect with backoff.
	CloseGoingAway = 1001
	// ClosePolicyViolation: the connection did not sign in in time, kept
	// sending after rate_limited errors, or its token was revoked.
	ClosePolicyViolation = 1008
	// CloseMessageTooBig: a message over the hard limit of 1 MiB.
	CloseMessageTooBig = 1009
	// CloseServiceRestart: a server of a cluster lost its link to the
	// others and stopped serving (docs/cluster.md). Reconnect: through the
	// load balancer, another server takes the client.
	CloseServiceRestart = 1012
	// CloseReplaced: the same account and device ID signed in on a newer
	// connection, which took over this one's call. Final: a client that
	// reconnected would take the device back from the newer connection.
	CloseReplaced = 4001
	// CloseKeepAlive: the client did not answer the server's ping in time.
	CloseKeepAlive = 4002
	// CloseTooSlow: the client let the server's queue of messages for it
	// fill up.
	CloseTooSlow = 4003
)

// Fixed close reasons the server sends with the codes above. The others
// name a setting: "not signed in within 10s" (1008), "no pong within 15s"
// (4002), "too slow: 256 messages waiting" (4003), and the WebSocket
// library's "read limited at 1048577 bytes" (1009).
const (
	CloseReasonShutdown = "server shutting down"
	CloseReasonStopped  = "server stopped serving this address"
	CloseReasonRevoked  = "token revoked"
	CloseReasonFlood    = "too many messages after rate_limited errors"
	CloseReasonReplaced = "replaced by a newer connection of this device"
	CloseReasonFenced   = "server cut off from its cluster"
)
