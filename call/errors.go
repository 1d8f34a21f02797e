package call

import (
	"errors"

	"duet/call/proto"
)

// Errors returned by Client methods. Errors from the server are *proto.Error
// values; match them with errors.Is(err, ErrCalleeOffline) and friends or
// with proto.CodeOf.
var (
	ErrClosed       = errors.New("signaling connection closed")
	ErrReconnecting = errors.New("signaling connection lost; reconnecting, try again in a moment")
	ErrNoCall       = errors.New("no call in progress")
	ErrInCall       = errors.New("already in a call; hang up first")
	ErrNotRinging   = errors.New("no incoming call with that cid is ringing")
	// ErrReplaced ends a client whose account and device ID signed in on a
	// newer connection (close code proto.CloseReplaced): that connection
	// has the device, and its call, now. The client does not reconnect,
	// which would take them back.
	ErrReplaced = errors.New("replaced: this account and device ID signed in on a newer connection; " +
		"sign in again to take over, or give each instance its own device ID")

	ErrUnauthorized   = &proto.Error{Code: proto.CodeUnauthorized}
	ErrCalleeOffline  = &proto.Error{Code: proto.CodeCalleeOffline}
	ErrUnknownAccount = &proto.Error{Code: proto.CodeUnknownAccount}
	ErrBusy           = &proto.Error{Code: proto.CodeBusy}
)
