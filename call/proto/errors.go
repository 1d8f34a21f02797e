package proto

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable error code. Clients switch on it; the
// message beside it is for people and may change.
type Code string

// Error codes. New codes may be added; existing ones keep their meaning.
const (
	CodeBadRequest     Code = "bad_request"   // malformed JSON, unknown field, missing or wrong-typed field
	CodeUnknownType    Code = "unknown_type"  // no such request type
	CodeTooLarge       Code = "too_large"     // message over MaxMessageSize
	CodeNotSignedIn    Code = "not_signed_in" // request before a successful login
	CodeAlreadySigned  Code = "already_signed_in"
	CodeUnauthorized   Code = "unauthorized"    // wrong account or token
	CodeUnknownAccount Code = "unknown_account" // callee does not exist
	CodeCallSelf       Code = "call_self"       // callee is the caller
	CodeCalleeOffline  Code = "callee_offline"  // no device of the callee is signed in
	CodeBusy           Code = "busy"            // the caller is already in a call
	CodeNoSuchCall     Code = "no_such_call"    // cid unknown or already ended
	CodeNotParticipant Code = "not_participant" // the cid belongs to other accounts or devices
	CodeWrongState     Code = "wrong_state"     // e.g. answering a call that was already answered
	CodeNotInRoom      Code = "not_in_room"     // relay or leave before startRtc
	CodeRateLimited    Code = "rate_limited"
	CodeUnavailable    Code = "unavailable" // the server cannot do it now (storage failing); retry later
	CodeInternal       Code = "internal"
)

// Error is the error half of a reply. It implements error.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// RetryAfterMs comes with rate_limited: how long to wait, in
	// milliseconds, before the same request can succeed.
	RetryAfterMs int64 `json:"retryAfterMs,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Is makes errors.Is(err, &Error{Code: c}) match any error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// Errorf makes an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RateLimited makes a rate_limited error that says when to retry.
func RateLimited(retryAfter time.Duration, format string, args ...any) *Error {
	e := Errorf(CodeRateLimited, format, args...)
	// Rounded up: retrying a moment early would only be refused again.
	e.RetryAfterMs = max(int64((retryAfter+time.Millisecond-1)/time.Millisecond), 1)
	return e
}

// RetryAfter returns the wait a rate_limited error asks for, or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return time.Duration(e.RetryAfterMs) * time.Millisecond
	}
	return 0
}

// CodeOf returns the code of a protocol error, or "" for other errors.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
